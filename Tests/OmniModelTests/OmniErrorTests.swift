import OmniModel
import Testing

/// The shared error model's defaults (decision 0025).
@Suite("Error model")
struct OmniErrorTests {
    struct SampleError: ReasonedError {
        enum Reason: String, ErrorReason {
            case gone = "sample.gone"
            var kind: ErrorKind { .notFound }
        }
        var reason: Reason
        var message: String
        var detail: String
    }

    @Test("Given an error made of a reason, a message and a detail, then its code, kind and descriptions come from the defaults, the detail only in the log's text")
    func defaults() {
        let error = SampleError(reason: .gone, message: "no track x", detail: "SELECT 1")
        #expect(error.code == "sample.gone")
        #expect(error.kind == .notFound)
        #expect(error.description == "no track x")
        #expect(error.expandedDescription == "no track x (SELECT 1)")
        #expect(SampleError(reason: .gone, message: "no track x", detail: "").expandedDescription == "no track x")
    }
}
