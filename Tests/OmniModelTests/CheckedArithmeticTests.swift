import Foundation
import OmniModel
import Testing

@Suite("Checked arithmetic on numbers from outside")
struct CheckedArithmeticTests {
    @Test("Products and sums that overflow are nil, or clamped to the side they overflowed to")
    func overflowIsReportedOrClamped() {
        #expect(CheckedArithmetic.product(Int64(1) << 62, 4) == nil)
        #expect(CheckedArithmetic.product(Int64(1) << 60, 4) == Int64(1) << 62)
        #expect(CheckedArithmetic.sum(Int.max, 1) == nil)
        #expect(CheckedArithmetic.clampedProduct(Int64(1) << 62, 4) == .max)
        #expect(CheckedArithmetic.clampedProduct(Int64(1) << 62, -4) == .min)
        #expect(CheckedArithmetic.clampedProduct(-(Int64(1) << 62), -4) == .max)
        #expect(CheckedArithmetic.clampedSum(Int.max, 5) == .max)
        #expect(CheckedArithmetic.clampedSum(Int.min, -5) == .min)
        #expect(CheckedArithmetic.clampedSum(40, 2) == 42)
    }

    @Test("A Double becomes an Int only when it is finite and fits", arguments: [
        (1e300, nil), (.infinity, nil), (-.infinity, nil), (.nan, nil), (9.3e18, nil), (61.6, 62), (-1.4, -1), (0, 0),
    ] as [(Double, Int?)])
    func doublesToInts(_ value: Double, _ expected: Int?) {
        #expect(CheckedArithmetic.int(rounding: value) == expected)
    }

    @Test("A file time in 2286 is clamped to the last nanosecond an Int64 holds; ordinary times are exact")
    func fileTimes() {
        // `date -u -d 2286-01-01 +%s`
        #expect(CheckedArithmetic.nanoseconds(seconds: 9_972_028_800, nanoseconds: 0) == .max)
        #expect(CheckedArithmetic.nanoseconds(seconds: -9_972_028_800, nanoseconds: 0) == .min)
        #expect(CheckedArithmetic.nanoseconds(seconds: 1_700_000_000, nanoseconds: 5) == 1_700_000_000_000_000_005)
    }
}
