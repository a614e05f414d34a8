/// The vocabulary of the synthetic library: a few hundred English words, plus names in other
/// scripts and with diacritics, which exercise folding and CJK handling.
enum WordList {
    static let words: [String] = """
        love night day heart time dream fire light world life rain blue black white red gold star moon sun
        sky road home back away down girl boy man woman song dance baby river ocean city street wild
        angel devil heaven hell hells bells rock roll stone paper glass iron steel silver crystal shadow ghost
        summer winter spring autumn morning evening midnight forever never always again alone together
        broken burning falling running flying dancing crying dying living loving waiting walking talking
        appetite destruction paradise jungle welcome sweet child mine november knockin door
        electric dreams machine secret garden empty room open closed window mirror kingdom queen king
        prince princess castle tower bridge train station airport highway desert mountain valley island
        thunder lightning storm wind cloud snow ice water earth wave tide sea shore beach harbor ship sail
        anchor captain sailor pirate treasure map compass north south east west left right center edge
        circle square line point zero one two three four five six seven eight nine ten hundred thousand
        million first last next final begin end start stop go come stay leave run hide seek find lose keep
        hold let take give make break shake wake sleep talk sing play listen hear see look watch feel
        touch taste smell think know believe trust hope fear doubt wonder wish want need hate kill
        save help pray fight win cry laugh smile kiss hug jump fall rise fly swim drive ride walk
        apple orange cherry lemon honey sugar candy chocolate coffee whiskey wine beer milk bread butter
        velvet silk cotton leather denim lace satin neon plastic rubber chrome copper bronze diamond pearl
        tiger lion wolf fox eagle raven dove swan horse dragon snake spider butterfly bee shark whale
        doctor lawyer teacher soldier preacher dancer singer drummer poet painter hunter farmer stranger
        lover friend enemy brother sister mother father daughter son family people nation army
        radio television telephone camera movie picture letter story book page word name number
        yesterday tomorrow today tonight weekend holiday birthday wedding funeral party festival
        memory feeling reason answer question promise lie truth secret mystery magic miracle wonderland
        velocity gravity motion energy power voltage signal static frequency echo silence noise
        happy sad lonely crazy lazy easy hard soft loud quiet slow fast high low deep cold warm hot
        little big tall small young old new true false real strange beautiful ugly perfect simple
        """.split(whereSeparator: \.isWhitespace).map(String.init)

    /// Artist names with diacritics and in other scripts.
    static let unicodeArtists: [String] = [
        "Björk", "Hüsker Dü", "坂本龍一", "Кино", "Sigur Rós", "Mötley Crüe", "Motörhead", "Beyoncé",
        "Ólafur Arnalds", "Café Tacvba", "Röyksopp", "Émilie Simon", "宇多田ヒカル", "Владимир Высоцкий",
        "Ελευθερία Αρβανιτάκη", "Zoé", "Jóhann Jóhannsson", "Mø", "Françoise Hardy", "Жанна Агузарова",
        "久石譲", "서태지와 아이들", "Týr", "Amadou & Mariam", "Dvořák", "Sinéad O'Connor",
    ]

    static let genres: [String] = [
        "Rock", "Pop", "Jazz", "Blues", "Electronic", "Classical", "Hip-Hop", "Metal", "Folk", "Country",
        "Reggae", "Soul", "Funk", "Punk", "Ambient", "Trip Hop", "Hard Rock", "Indie", "Synthpop", "Chanson",
    ]
}
