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

    /// All counters zero.
    public init() {}
}
