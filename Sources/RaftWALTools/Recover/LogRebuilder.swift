import RaftWAL

/// Writes a new log through the engine's package API: a snapshot, entries
/// copied byte for byte from a source log with their original terms, extra
/// entries, and a final hard state. Used by force-new-cluster, truncate and
/// heal (which copies some ranges from a peer instead of the source).
struct LogRebuilder {
    /// What the new log holds.
    struct Plan {
        var identity: LogIdentity
        var snapshot: Snapshot?
        /// Source entries to copy (nil: none).
        var kept: ClosedRange<UInt64>?
        var extra: [Entry]
        var hardState: HardState
        /// Ranges inside `kept` copied from another log instead of the
        /// source, in index order (heal: a peer's copies of damaged entries).
        var substitutes: [Substitute] = []
    }

    /// A range of `kept` read from another log.
    struct Substitute {
        var indexes: ClosedRange<UInt64>
        var from: RaftLog
        /// Checked on each entry before it is written (heal: the term the source's seal records).
        var check: (Entry) throws(WALError) -> Void
    }

    /// One stretch of `kept`: from the source (`substitute` nil) or from a substitute's log.
    struct Stretch {
        var indexes: ClosedRange<UInt64>
        var substitute: Substitute? = nil
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
    ///
    /// - Throws: ``RecoverError/damage(_:advice:)`` when an entry to copy does
    ///   not read from its log (the source or a substitute's): re-running
    ///   cannot help, and the advice says what can (``RecoverError/reading(_:advice:)``:
    ///   other read failures are ``RecoverError/environment(_:)``);
    ///   ``RecoverError/writeFailed(_:)`` when writing the result, or reading it
    ///   back as planned, fails (nothing presented; re-run).
    func build(_ plan: Plan, into directory: String) throws(RecoverError) {
        do throws(Failure) {
            try write(plan, into: directory)
            try verify(plan, directory: directory)
        } catch {
            switch error {
            case .read(let e): throw .reading(e, advice: Self.unreadableAdvice)
            case .write(let e): throw .writeFailed(e)
            }
        }
    }

    static let unreadableAdvice = "an entry to copy does not read (nothing was presented): `raft-inspect verify` names the damage; "
        + "`raft-recover repair` cuts the log before it, or `raft-recover heal --from PEER_DIR` replaces it with another member's copy"

    /// Which side of the copy failed: reading an entry to copy, or writing
    /// the result (and reading it back).
    enum Failure: Error {
        case read(WALError)
        case write(WALError)

        static func reading<T>(_ step: () throws(WALError) -> T) throws(Failure) -> T {
            do { return try step() } catch { throw .read(error) }
        }

        static func writing<T>(_ step: () throws(WALError) -> T) throws(Failure) -> T {
            do { return try step() } catch { throw .write(error) }
        }
    }

    private func write(_ plan: Plan, into directory: String) throws(Failure) {
        let log = try Failure.writing { () throws(WALError) in
            try RaftLog.open(directory: directory, options: options.logOptions(identity: plan.identity))
        }
        defer { log.close() }
        let entriesFirst = plan.kept?.lowerBound == 1
        if !entriesFirst, let snapshot = plan.snapshot { try Failure.writing { () throws(WALError) in try log.saveSnapshot(snapshot) } }
        if let kept = plan.kept { try copy(kept, substitutes: plan.substitutes, into: log) }
        try Failure.writing { () throws(WALError) in
            if entriesFirst, let snapshot = plan.snapshot { try log.saveSnapshot(snapshot) }
            if plan.extra.isEmpty {
                try log.setHardState(plan.hardState)
            } else {
                try log.append(plan.extra, hardState: plan.hardState)
            }
        }
        log.close()
    }

    /// `kept` in order, split around the substitutes.
    static func stretches(_ kept: ClosedRange<UInt64>, substitutes: [Substitute]) -> [Stretch] {
        var out: [Stretch] = []
        var next = kept.lowerBound
        for sub in substitutes {
            if sub.indexes.lowerBound > next { out.append(Stretch(indexes: next...(sub.indexes.lowerBound - 1))) }
            out.append(Stretch(indexes: sub.indexes, substitute: sub))
            next = sub.indexes.upperBound + 1
        }
        if next <= kept.upperBound { out.append(Stretch(indexes: next...kept.upperBound)) }
        return out
    }

    /// Copies the kept entries in batches of about 1 MiB, reading each log in
    /// one streaming pass (`forEachEntry`): a source batch of 2^24 entries is
    /// never held whole, and is read once, not once per batch written.
    private func copy(_ range: ClosedRange<UInt64>, substitutes: [Substitute], into log: RaftLog) throws(Failure) {
        for stretch in Self.stretches(range, substitutes: substitutes) {
            let from = stretch.substitute?.from ?? source
            var next = stretch.indexes.lowerBound
            try inPieces(stretch.indexes, of: from) { (piece) throws(Failure) in
                if let check = stretch.substitute?.check {
                    try Failure.reading { () throws(WALError) in for e in piece { try check(e) } }
                }
                try Failure.writing { () throws(WALError) in try log.append(piece) }
                next = piece.last!.index + 1
            }
            guard next > stretch.indexes.upperBound else {
                throw .read(.corrupted(file: from.directory, offset: nil, indexes: next...stretch.indexes.upperBound, reason: "the source returned no entries"))
            }
        }
    }

    /// Hands the entries of `log` in `range` to `body` in pieces of about
    /// 1 MiB (at least one entry each), in order, in one pass over the log.
    /// A failure to read `log` is ``Failure/read(_:)``; `body`'s own failures pass through.
    private func inPieces(_ range: ClosedRange<UInt64>, of log: RaftLog, _ body: ([Entry]) throws(Failure) -> Void) throws(Failure) {
        let pieceBytes = 1 << 20
        var piece: [Entry] = []
        var size = 0
        var failure: Failure? = nil
        try Failure.reading { () throws(WALError) in
            try log.forEachEntry(range.lowerBound, range.upperBound + 1) { e in
                if !piece.isEmpty && size + e.sizeBytes > pieceBytes {
                    do throws(Failure) { try body(piece) } catch { failure = error; return false }
                    piece.removeAll(keepingCapacity: true)
                    size = 0
                }
                piece.append(e)
                size += e.sizeBytes
                return true
            }
        }
        if let failure { throw failure }
        if !piece.isEmpty { try body(piece) }
    }

    /// Reopens the result read-only and compares it with the plan (a result
    /// that does not read back as planned is a write failure).
    private func verify(_ plan: Plan, directory: String) throws(Failure) {
        var o = LogOptions.readOnly
        o.fileSystem = options.fileSystem
        let result = try Failure.writing { () throws(WALError) in try RaftLog.open(directory: directory, options: o) }
        defer { result.close() }
        func fail(_ why: String) -> Failure {
            .write(.corrupted(file: directory, offset: nil, indexes: nil, reason: "rebuilt log does not match the plan: \(why)"))
        }
        guard result.identity == plan.identity else { throw fail("identity \(result.identity), expected \(plan.identity)") }
        guard result.hardState == plan.hardState else { throw fail("hard state \(result.hardState), expected \(plan.hardState)") }
        let expectedLast = plan.extra.last?.index ?? plan.kept?.upperBound ?? plan.snapshot?.metadata.index ?? 0
        guard result.lastIndex == expectedLast else { throw fail("last index \(result.lastIndex), expected \(expectedLast)") }
        if let snapshot = plan.snapshot {
            let saved = try Failure.writing { () throws(WALError) in try result.latestSnapshot() }
            guard saved == snapshot else { throw fail("the snapshot at \(snapshot.metadata.index) differs") }
        }
        if let kept = plan.kept {
            for stretch in Self.stretches(kept, substitutes: plan.substitutes) {
                try inPieces(stretch.indexes, of: stretch.substitute?.from ?? source) { (want) throws(Failure) in
                    let first = want[0].index
                    let got = try Failure.writing { () throws(WALError) in try result.entries(first, first + UInt64(want.count)) }
                    guard got == want else {
                        throw fail("entries \(first)...\(first + UInt64(want.count) - 1) differ from the \(stretch.substitute == nil ? "source" : "substitute's") copy")
                    }
                }
            }
        }
        if let first = plan.extra.first {
            let added = try Failure.writing { () throws(WALError) in try result.entries(first.index, expectedLast + 1) }
            guard added == plan.extra else { throw fail("the added entries differ") }
        }
    }
}
