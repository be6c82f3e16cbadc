/// Counters of what the log has written since it was opened: how well
/// concurrent appends were coalesced (``appends`` against ``records``), and
/// how many data syncs they cost.
public struct LogStatistics: Sendable, Equatable {
    /// Append calls that completed (entries and/or a hard state made durable).
    public var appends: UInt64 = 0
    /// Entries written by those calls.
    public var entries: UInt64 = 0
    /// Records written: one per group-commit round, plus the reset record a
    /// snapshot beyond the log writes and the hard state a truncating open persists.
    public var records: UInt64 = 0
    /// `fdatasync` calls made for those records (zero under ``SyncPolicy/none``).
    public var dataSyncs: UInt64 = 0
    /// Rounds whose record was encoded and compressed by the preparer thread
    /// while the round before was being written and synced (and used as
    /// prepared: nothing changed the log in between).
    public var roundsPreparedAhead: UInt64 = 0
    /// Segments rolled over (created ahead and the predecessor sealed).
    public var rollOvers: UInt64 = 0
    /// Roll-overs that used the spare segment created ahead (preallocated and
    /// synced off the append path), instead of creating one.
    public var rollOversOnSpare: UInt64 = 0

    // MARK: Where the appends' time went
    //
    // Nanoseconds on the monotonic clock, summed. An append's latency is
    // queued + round + wake + the caller's own work; a round's time is
    // mostly encode + frame + write + sync (+ roll-over, for a round that
    // crosses a segment's end), per record. Divide by ``appends`` or
    // ``records`` for a mean. Under ``SyncPolicy/none`` ``syncNanoseconds``
    // stays zero.

    /// Summed over appends: from the call queueing its request to the writer
    /// thread starting the round that carries it (the hand-off to the writer,
    /// and any rounds ahead of it).
    public var queuedNanoseconds: UInt64 = 0
    /// Summed over appends: the round that carried the append, from the
    /// writer starting it to its result being published (every append of a
    /// round counts the whole round).
    public var roundNanoseconds: UInt64 = 0
    /// Summed over rounds: encoding and compressing records on the writer
    /// thread. A round prepared ahead (``roundsPreparedAhead``) costs nothing
    /// here: the preparer thread did that work while the round before it synced.
    public var encodeNanoseconds: UInt64 = 0
    /// Summed over records: framing (the copy into the record, CRC32C).
    public var frameNanoseconds: UInt64 = 0
    /// Summed over records: the `pwrite` of the record.
    public var writeNanoseconds: UInt64 = 0
    /// Summed over records: the record's `fdatasync`, and in confirmed mode
    /// (``LogOptions/confirmAppends``) the `ACKED` slot's write and sync.
    public var syncNanoseconds: UInt64 = 0
    /// Summed over roll-overs: sealing the full segment and putting its
    /// successor in place, inside the append that crossed the end.
    public var rollOverNanoseconds: UInt64 = 0
    /// Summed over appends: from the writer finishing the round to the caller
    /// running again (the thread wake-up, or the task's resumption).
    public var wakeNanoseconds: UInt64 = 0

    /// All counters zero.
    public init() {}
}
