/// Consecutive indexes of one term: how ``LogComparison`` holds a member's
/// log. A log of 2^24 entries of one term is one span, not 2^24 entries, so
/// comparing members costs memory in term changes, not in entries.
public struct TermSpan: Sendable, Equatable {
    public var indexes: ClosedRange<UInt64>
    public var term: UInt64

    public init(indexes: ClosedRange<UInt64>, term: UInt64) {
        self.indexes = indexes
        self.term = term
    }

    /// Spans built one entry at a time, in increasing index order: an entry
    /// that follows the last span with its term extends it.
    public struct Builder: Sendable {
        public private(set) var spans: [TermSpan] = []

        public init() {}

        public mutating func add(index: UInt64, term: UInt64) {
            if let last = spans.last, last.term == term, last.indexes.upperBound != .max, last.indexes.upperBound + 1 == index {
                spans[spans.count - 1].indexes = last.indexes.lowerBound...index
            } else {
                spans.append(TermSpan(indexes: index...index, term: term))
            }
        }
    }

    /// The spans of a source's live entries (in index order, as ``LogSource/entries`` are).
    public static func of(_ entries: [SourceEntry]) -> [TermSpan] {
        var b = Builder()
        for e in entries { b.add(index: e.index, term: e.term) }
        return b.spans
    }
}

extension Array where Element == TermSpan {
    /// The term at `index` (binary search over sorted, disjoint spans); nil when not held.
    public func term(at index: UInt64) -> UInt64? {
        var lo = 0, hi = count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if self[mid].indexes.contains(index) { return self[mid].term }
            if self[mid].indexes.upperBound < index { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }
}
