import RaftWAL

/// A file system (POSIX by default) with hooks on the calls a test wants to
/// watch, hold, slow down or fail: one wrapper for every such test, so each
/// states only what it changes. Also the crash fuzzer's canary
/// (``acknowledgingBeforeSync(_:)``), a deliberately broken disk that the
/// torture harness must catch.
///
/// Hooks run on the calling thread, before the call reaches `base` (or, for
/// ``Hooks/synced``, after a successful sync); a hook that throws fails the
/// call with that error, as the real call would.
public final class HookedFileSystem: ForwardingFileSystem, Sendable {
    /// The hooks; every one is optional.
    public struct Hooks: Sendable {
        /// Before `open(path)`: throw to deny it.
        public var open: (@Sendable (_ path: String) throws(WALError) -> Void)?
        /// Before every read of a handle (`read(into:at:)`, which
        /// `read(at:count:)` goes through too).
        public var read: (@Sendable (_ handle: HookedFileHandle, _ offset: UInt64) throws(WALError) -> Void)?
        /// Before every write of a handle.
        public var write: (@Sendable (_ handle: HookedFileHandle, _ offset: UInt64) throws(WALError) -> Void)?
        /// Before every `fsync` (`dataOnly` false) or `fdatasync` (true).
        public var sync: (@Sendable (_ handle: HookedFileHandle, _ dataOnly: Bool) throws(WALError) -> Void)?
        /// After every successful sync.
        public var synced: (@Sendable (_ handle: HookedFileHandle, _ dataOnly: Bool) -> Void)?
        /// When a handle is closed (before the descriptor is).
        public var close: (@Sendable (_ handle: HookedFileHandle) -> Void)?
        /// Data syncs (`fdatasync`) report success without syncing: the
        /// canary's bug. Full `fsync`s still happen.
        public var dropsDataSyncs = false

        public init() {}
    }

    public let base: any FileSystem
    public let hooks: Hooks

    public init(base: any FileSystem = POSIXFileSystem(), hooks: Hooks) {
        self.base = base
        self.hooks = hooks
    }

    /// The crash fuzzer's canary: appends are acknowledged before their
    /// record is synced (every `fdatasync` is dropped), so a power cut loses
    /// acknowledged entries. `raft-torture sim --canary` must catch it.
    public static func acknowledgingBeforeSync(_ base: any FileSystem) -> HookedFileSystem {
        var hooks = Hooks()
        hooks.dropsDataSyncs = true
        return HookedFileSystem(base: base, hooks: hooks)
    }

    public func open(_ path: String, access: FileAccess, create: Bool) throws(WALError) -> any RaftWAL.FileHandle {
        try hooks.open?(path)
        return HookedFileHandle(inner: try base.open(path, access: access, create: create), hooks: hooks)
    }
}

/// A handle of a ``HookedFileSystem``: the hooks around `inner`'s calls.
public final class HookedFileHandle: ForwardingFileHandle, Sendable {
    public let inner: any RaftWAL.FileHandle
    let hooks: HookedFileSystem.Hooks

    init(inner: any RaftWAL.FileHandle, hooks: HookedFileSystem.Hooks) {
        self.inner = inner
        self.hooks = hooks
    }

    public func read(at offset: UInt64, count: Int) throws(WALError) -> [UInt8] {
        precondition(count >= 0)
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { raw in Result { () throws(WALError) in try read(into: raw, at: offset) } }
        bytes.removeLast(count - (try n.get()))
        return bytes
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(WALError) -> Int {
        try hooks.read?(self, offset)
        return try inner.read(into: buffer, at: offset)
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(WALError) {
        try hooks.write?(self, offset)
        try inner.write(bytes, at: offset)
    }

    public func sync(dataOnly: Bool) throws(WALError) {
        try hooks.sync?(self, dataOnly)
        if !(dataOnly && hooks.dropsDataSyncs) { try inner.sync(dataOnly: dataOnly) }
        hooks.synced?(self, dataOnly)
    }

    public func close() {
        hooks.close?(self)
        inner.close()
    }
}
