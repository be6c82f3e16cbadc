extension RaftLog {
    /// The metadata key ``setAppliedIndex(_:)`` writes.
    public static let appliedIndexKey = "raftwal.applied-index"

    /// The metadata a state machine stored with the log
    /// (``setMetadata(_:)``): empty when none was.
    ///
    /// - Throws: ``WALError/corrupted(file:offset:indexes:reason:label:)``
    ///   naming `META` and the offset when the file fails its checks (it is
    ///   replaced atomically, so a crash never leaves it torn: this is damage).
    public func metadata() throws(WALError) -> [String: [UInt8]] {
        try stateLock.withLock { () throws(WALError) in if state.closed { throw WALError.closed } }
        let path = joinPath(directory, MetadataFile.name)
        guard options.fileSystem.fileKind(path) != nil else { return [:] }
        let handle = try options.fileSystem.open(path, access: .readOnly, create: false)
        defer { handle.close() }
        let size = try handle.size()
        guard size <= UInt64(MetadataFile.maxFileBytes) else {
            throw WALError.corrupted(file: MetadataFile.name, offset: 0, indexes: nil,
                                     reason: "metadata file: \(size) bytes, more than \(MetadataFile.maxFileBytes)")
        }
        return try MetadataFile.decode(try handle.read(at: 0, count: Int(size)))
    }

    /// Replaces the stored metadata with `values`, atomically and durably:
    /// after a crash the previous metadata or `values`, never a mix; once
    /// this returns, `values`. One small file written to a temporary name,
    /// synced, renamed over `META`, and the directory synced
    /// (`docs/FORMAT.md` §8.3, §9).
    ///
    /// - Parameter values: at most 4096 non-empty keys; the whole file at most 1 MiB.
    /// - Throws: ``WALError/invalidArgument(_:)`` when `values` does not fit
    ///   (nothing written); ``WALError/readOnly``, ``WALError/closed``,
    ///   ``WALError/io(errno:operation:path:)``, ``WALError/noSpace(path:)``.
    public func setMetadata(_ values: [String: [UInt8]]) throws(WALError) {
        let bytes: [UInt8]
        switch MetadataFile.encode(values) {
        case .success(let b): bytes = b
        case .failure(let e): throw e
        }
        try writerLock.withLock { () throws(WALError) in
            try stateLock.withLock { () throws(WALError) in
                if state.closed { throw WALError.closed }
                if options.access == .readOnly { throw WALError.readOnly }
            }
            try durability.createFile(MetadataFile.name, contents: bytes).close()
        }
    }

    /// The index the state machine last recorded as applied
    /// (``setAppliedIndex(_:)``); nil when none was.
    ///
    /// - Throws: the errors of ``metadata()``; `corrupted` when the stored
    ///   value is not 8 bytes.
    public func appliedIndex() throws(WALError) -> UInt64? {
        guard let bytes = try metadata()[Self.appliedIndexKey] else { return nil }
        guard bytes.count == 8 else {
            throw WALError.corrupted(file: MetadataFile.name, offset: nil, indexes: nil,
                                     reason: "\(Self.appliedIndexKey) holds \(bytes.count) bytes, not a u64")
        }
        return bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    /// Records `index` as the state machine's applied index, durably, with
    /// the other metadata unchanged (a read-modify-write of ``metadata()``
    /// under the writer lock).
    ///
    /// - Throws: the errors of ``setMetadata(_:)`` and ``metadata()``.
    public func setAppliedIndex(_ index: UInt64) throws(WALError) {
        try writerLock.withLock { () throws(WALError) in
            var values = try metadata()
            values[Self.appliedIndexKey] = (0..<8).map { UInt8(truncatingIfNeeded: index >> (8 * UInt64($0))) }
            let bytes: [UInt8]
            switch MetadataFile.encode(values) {
            case .success(let b): bytes = b
            case .failure(let e): throw e
            }
            try stateLock.withLock { () throws(WALError) in
                if state.closed { throw WALError.closed }
                if options.access == .readOnly { throw WALError.readOnly }
            }
            try durability.createFile(MetadataFile.name, contents: bytes).close()
        }
    }
}
