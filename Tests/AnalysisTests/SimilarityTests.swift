import Analysis
import Foundation
import Testing
import TestSupport

extension SimilarityFamilies {
    /// The members' feature vectors, in order (analysed once per test process).
    static let vectorsOnce = OffPool("similarity-families") {
        members.map { TrackAnalyzer.analyze($0.music.render(), sampleRate: $0.music.sampleRate, channels: 2).features }
    }
    static var vectors: [[Double]] { get async { await vectorsOnce.value } }
}

@Suite("Similarity: families rank first, diversity, radio, path")
struct SimilarityTests {
    static func index(artists: [String?]? = nil, albums: [String?]? = nil) async -> SimilarityIndex<Int> {
        SimilarityIndex(entries: await SimilarityFamilies.vectors.enumerated().map { i, v in
            .init(id: i, artist: artists?[i], album: albums?[i], vector: v)
        })
    }

    @Test("Every piece's two nearest tracks are the rest of its family (15 pieces, 5 families, two pairs sharing instruments)")
    func familiesRankFirst() async throws {
        let members = SimilarityFamilies.members
        #expect(await SimilarityFamilies.vectors.allSatisfy { $0.count == FeatureVector.names.count })
        let index = await Self.index()
        var misses: [String] = []
        for i in members.indices {
            let near = try #require(index.similar(to: i, limit: 2))
            for n in near where members[n.id].family != members[i].family {
                misses.append("\(members[i].family) #\(i) → \(members[n.id].family) #\(n.id) (score \(n.score))")
            }
            // Scores fall with distance and lie in 0...1
            #expect(near.count == 2 && near[0].score >= near[1].score && near.allSatisfy { (0...1).contains($0.score) })
        }
        #expect(misses.isEmpty, "\(misses)")
    }

    @Test("One artist or album does not fill the list; a library of one artist still fills it")
    func diversity() async throws {
        let members = SimilarityFamilies.members
        // Given the house and fast pieces by one artist, the house ones on one album, and the
        // others each by their own artist
        let artists: [String?] = members.indices.map { ["house", "fast"].contains(members[$0].family) ? "DJ One" : "artist \($0)" }
        let albums: [String?] = members.indices.map { members[$0].family == "house" ? "One" : nil }
        let index = await Self.index(artists: artists, albums: albums)
        // When tracks like a house piece are asked for
        let near = try #require(index.similar(to: 0, limit: 6))
        // Then no other track from its album is there (though its family is nearest), and DJ One
        // appears at most once more (the seed counts as one)
        #expect(near.filter { albums[$0.id] == "One" }.isEmpty, "\(near.map(\.id))")
        #expect(near.filter { artists[$0.id] == "DJ One" }.count <= 1, "\(near.map(\.id))")
        #expect(await Self.index().similar(to: 0, limit: 2)!.allSatisfy { albums[$0.id] == "One" })
        #expect(near.count == 6 && Set(near.map(\.id)).count == 6 && !near.contains { $0.id == 0 })
        // And with one artist and album for everything, the list is still full, nearest first
        let single = await Self.index(artists: members.map { _ in "Solo" }, albums: members.map { _ in "Only" })
        let all = try #require(single.similar(to: 0, limit: 14))
        #expect(all.count == 14 && all.map(\.distance) == all.map(\.distance).sorted())
        #expect(single.similar(to: 99) == nil)
    }

    @Test("The radio never repeats within its window and stays near the seed's family first")
    func radio() async throws {
        let members = SimilarityFamilies.members
        let index = await Self.index()
        // Given a radio started from a swing piece, topped up five tracks at a time
        let seed = try #require(members.firstIndex { $0.family == "swing" })
        var history: [Int] = []
        let window = 8
        for _ in 0..<6 {
            let next = try #require(index.radio(seed: seed, history: history, window: window, count: 2))
            #expect(next.count == 2)
            for id in next {
                // Then nothing within the window comes back, nor the seed
                #expect(id != seed && !history.suffix(window).contains(id), "\(id) repeated in \(history)")
                history.append(id)
            }
        }
        // And its first picks are the seed's own family
        let first = try #require(index.radio(seed: seed, history: [], window: window, count: 2))
        #expect(first.allSatisfy { members[$0].family == "swing" }, "\(first)")
    }

    @Test("A path between two families passes through neither end and moves from one to the other")
    func path() async throws {
        let members = SimilarityFamilies.members
        let index = await Self.index()
        let a = try #require(members.firstIndex { $0.family == "house" })
        let b = try #require(members.firstIndex { $0.family == "pads" })
        let path = try #require(index.path(from: a, to: b, steps: 5))
        #expect(path.count == 5 && Set(path).count == 5 && !path.contains(a) && !path.contains(b))
        // Each step is nearer to B, relative to A, than the one before, on the whole: the first
        // step is nearer A than B, the last nearer B than A
        let first = path.first!, last = path.last!
        #expect(index.distance(first, a)! < index.distance(first, b)!)
        #expect(index.distance(last, b)! < index.distance(last, a)!)
        #expect(index.path(from: a, to: b, steps: 40)?.count == 13)
    }

    @Test("Normalisation: median and IQR scaling, the standard deviation when the IQR is 0, clipped at ±4")
    func normalisation() {
        let n = FeatureNormalisation(vectors: [[1, 5, 7], [2, 5, 7], [3, 5, 7], [4, 5, 7], [100, 9, 7]])
        // Median 3, IQR 2 → scale 2/1.349
        #expect(abs(n.center[0] - 3) < 1e-12 && abs(n.scale[0] - 2 / 1.349) < 1e-12)
        // IQR 0 (four of five equal): the standard deviation, 1.6
        #expect(n.center[1] == 5 && abs(n.scale[1] - 1.6) < 1e-12)
        // Constant: scale 1, everything maps to 0
        #expect(n.scale[2] == 1 && n.apply([3, 5, 7])[2] == 0)
        #expect(n.apply([100, 5, 7])[0] == 4 && n.apply([-100, 5, 7])[0] == -4)
        // Group weights sum to 1 and each group adds its share
        let w = FeatureVector.dimensionWeights(FeatureVector.defaultGroupWeights, count: FeatureVector.names.count)
        #expect(abs(w.reduce(0, +) - 1) < 1e-12)
        for group in FeatureVector.groups {
            #expect(abs(group.range.map { w[$0] }.reduce(0, +) - FeatureVector.defaultGroupWeights[group.name]!) < 1e-12)
        }
        #expect(FeatureVector.groups.last!.range.upperBound == FeatureVector.names.count)
    }
}
