import OmniModel

/// A configuration that cannot be used: the message names the key and where its value came from.
public struct ConfigurationError: ReasonedError, Equatable {
    public enum Reason: String, ErrorReason {
        /// A value does not parse or is out of range.
        case invalidValue = "config.invalid_value"
        /// A required setting has no value in any layer.
        case missing = "config.missing"
        /// Settings that are fine alone but not together (a public address without a token).
        case unsafe = "config.unsafe"
        /// The config file has a key no setting reads (a typo, or a setting of a later version).
        case unknownKey = "config.unknown_key"
        /// The config file cannot be read or is not valid TOML.
        case badFile = "config.bad_file"

        /// Every configuration error is the user's to correct.
        public var kind: ErrorKind { .invalid }
    }

    public var reason: Reason
    /// The key concerned; nil when the error is about the config file itself or a key of it
    /// that is no setting (`unknownKey`, `badFile`).
    public var key: ConfigurationKey?
    public var message: String

    public init(_ reason: Reason, key: ConfigurationKey?, message: String) {
        self.reason = reason
        self.key = key
        self.message = message
    }

    /// Nothing to add: the message names the key and the layer it came from.
    public var detail: String { "" }
}
