import RaftWAL

/// Writes a new log through the engine's package API: a snapshot, entries
/// copied byte for byte from a source log with their original terms, extra
/// entries, and a final hard state. Used by force-new-cluster and truncate.
struct LogRebuilder {
    /// What the new log holds.
    struct Plan {
        var identity: LogIdentity
        var snapshot: Snapshot?
        /// Source entries to copy (nil: none).
        var kept: ClosedRange<UInt64>?
        var extra: [Entry]
        var hardState: HardState
    }

    let source: RaftLog
    let options: RecoverOptions

    /// Builds `plan` into the empty directory `directory`, then reopens it
    /// read-only and checks it holds what the plan says.
    ///
    /// Order: the engine accepts appends only after its last index, and a new
    /// log starts at index 1. When the kept entries start at 1 they are copied
    /// first and the snapshot saved after them (the log holds its index and
    /// term, so nothing is reset); otherwise the snapshot comes first and the
    /// log restarts after it (a reset record).
    func build(_ plan: Plan, into directory: String) throws(WALError) {
        let log = try RaftLog.open(directory: directory, options: options.logOptions(identity: plan.identity))
        defer { log.close() }
        let entriesFirst = plan.kept?.lowerBound == 1
        if !entriesFirst, let snapshot = plan.snapshot { try log.saveSnapshot(snapshot) }
        if let kept = plan.kept { try copy(kept, into: log) }
        if entriesFirst, let snapshot = plan.snapshot { try log.saveSnapshot(snapshot) }
        if plan.extra.isEmpty {
            try log.setHardState(plan.hardState)
        } else {
            try log.append(plan.extra, hardState: plan.hardState)
        }
        log.close()
        try verify(plan, directory: directory)
    }

    /// Copies source entries in batches of about 1 MiB, reading the source
    /// in one streaming pass (`forEachEntry`): a source batch of 2^24
    /// entries is never held whole, and is read once, not once per batch written.
    private func copy(_ range: ClosedRange<UInt64>, into log: RaftLog) throws(WALError) {
        var next = range.lowerBound
        try inPieces(range) { (piece) throws(WALError) in
            try log.append(piece)
            next = piece.last!.index + 1
        }
        guard next > range.upperBound else {
            throw WALError.corrupted(file: source.directory, offset: nil, indexes: next...range.upperBound, reason: "the source returned no entries")
        }
    }

    /// Hands the source's entries in `range` to `body` in pieces of about
    /// 1 MiB (at least one entry each), in order, in one pass over the source.
    private func inPieces(_ range: ClosedRange<UInt64>, _ body: ([Entry]) throws(WALError) -> Void) throws(WALError) {
        let pieceBytes = 1 << 20
        var piece: [Entry] = []
        var size = 0
        var failure: WALError? = nil
        try source.forEachEntry(range.lowerBound, range.upperBound + 1) { e in
            if !piece.isEmpty && size + e.sizeBytes > pieceBytes {
                do throws(WALError) { try body(piece) } catch { failure = error; return false }
                piece.removeAll(keepingCapacity: true)
                size = 0
            }
            piece.append(e)
            size += e.sizeBytes
            return true
        }
        if let failure { throw failure }
        if !piece.isEmpty { try body(piece) }
    }

    /// Reopens the result read-only and compares it with the plan.
    private func verify(_ plan: Plan, directory: String) throws(WALError) {
        var o = LogOptions.readOnly
        o.fileSystem = options.fileSystem
        let result = try RaftLog.open(directory: directory, options: o)
        defer { result.close() }
        func fail(_ why: String) -> WALError { .corrupted(file: directory, offset: nil, indexes: nil, reason: "rebuilt log does not match the plan: \(why)") }
        guard result.identity == plan.identity else { throw fail("identity \(result.identity), expected \(plan.identity)") }
        guard result.hardState == plan.hardState else { throw fail("hard state \(result.hardState), expected \(plan.hardState)") }
        let expectedLast = plan.extra.last?.index ?? plan.kept?.upperBound ?? plan.snapshot?.metadata.index ?? 0
        guard result.lastIndex == expectedLast else { throw fail("last index \(result.lastIndex), expected \(expectedLast)") }
        if let snapshot = plan.snapshot {
            guard try result.latestSnapshot() == snapshot else { throw fail("the snapshot at \(snapshot.metadata.index) differs") }
        }
        if let kept = plan.kept {
            try inPieces(kept) { (want) throws(WALError) in
                let first = want[0].index
                let got = try result.entries(first, first + UInt64(want.count))
                guard got == want else { throw fail("entries \(first)...\(first + UInt64(want.count) - 1) differ from the source") }
            }
        }
        if let first = plan.extra.first {
            guard try result.entries(first.index, expectedLast + 1) == plan.extra else { throw fail("the added entries differ") }
        }
    }
}
