extension RaftLog {
    /// Saves a snapshot whose data arrives in pieces (read from a socket,
    /// produced by the state machine), holding at most one chunk (1 MiB) in
    /// memory (``LogOptions/snapshotChunkBytes``), with no size cap: a follower can install a leader's snapshot
    /// larger than memory.
    ///
    /// The data is written as a chunked snapshot file (format version 2,
    /// `docs/FORMAT.md` §8.2) under a temporary name while appends go on;
    /// then, as ``saveSnapshot(_:)`` does: the file is synced, renamed and
    /// the directory synced; the log restarts after the snapshot when it
    /// does not hold its (index, term); segments are compacted and old
    /// snapshots retired. Until then nothing the snapshot covers is removed,
    /// and a crash leaves at most a `*.tmp` file that the next open removes.
    ///
    /// - Parameters:
    ///   - metadata: the index, term and membership the snapshot covers.
    ///   - chunks: the data, in order, in pieces of any size.
    /// - Throws: the errors of ``saveSnapshot(_:)``, checked before the first
    ///   byte is written and again before the file is published.
    public func saveSnapshot<Chunks: Sequence>(_ metadata: SnapshotMetadata, chunks: Chunks) throws(WALError)
    where Chunks.Element == [UInt8] {
        var writer = try beginSnapshot(metadata)
        do {
            for chunk in chunks { try writer.write(chunk) }
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        try publishSnapshot(metadata, writer)
    }

    /// `saveSnapshot(_:chunks:)` for data that arrives asynchronously
    /// (an `AsyncSequence` of byte arrays, such as chunks received from a
    /// leader). Appends are not blocked while the chunks arrive.
    ///
    /// - Throws: the errors of ``saveSnapshot(_:)``;
    ///   ``WALError/invalidArgument(_:)`` naming the error when `chunks`
    ///   throws (the partial file is removed, nothing else changes).
    public func saveSnapshot<Chunks: AsyncSequence>(_ metadata: SnapshotMetadata, chunks: Chunks) async throws(WALError)
    where Chunks.Element == [UInt8] {
        var writer = try beginSnapshot(metadata)
        do {
            for try await chunk in chunks { try writer.write(chunk) }
            try writer.finish()
        } catch let error as WALError {
            writer.discard()
            throw error
        } catch {
            writer.discard()
            throw WALError.invalidArgument("the snapshot's chunk source failed: \(error)")
        }
        try publishSnapshot(metadata, writer)
    }

    /// `saveSnapshot(_:chunks:)` with the data read from the file at
    /// `path` (for example a state machine's dump), 1 MiB at a time. The
    /// file is read through ``LogOptions/fileSystem`` and must be a regular
    /// file (a symbolic link is refused, not followed).
    ///
    /// - Throws: the errors of ``saveSnapshot(_:)``, and
    ///   ``WALError/io(errno:operation:path:)`` when `path` cannot be read.
    public func saveSnapshot(_ metadata: SnapshotMetadata, contentsOf path: String) throws(WALError) {
        let source = try options.fileSystem.open(path, access: .readOnly, create: false)
        defer { source.close() }
        let size = try source.size()
        var writer = try beginSnapshot(metadata)
        do {
            var offset: UInt64 = 0
            while offset < size {
                let piece = try source.read(at: offset, count: Int(min(UInt64(SnapshotChunkFormat.defaultChunkBytes), size - offset)))
                if piece.isEmpty { break }  // the file shrank while it was read
                try writer.write(piece)
                offset += UInt64(piece.count)
            }
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        try publishSnapshot(metadata, writer)
    }

    /// The newest valid snapshot as a stream of verified chunks (etcd's
    /// `Storage.Snapshot` for a leader that sends it to a follower without
    /// holding it in memory). The file stays readable through the stream
    /// even if a newer snapshot retires it meanwhile. Nil when there is none.
    ///
    /// - Throws: ``WALError/closed``; the error of the last snapshot file
    ///   tried when none opens.
    public func latestSnapshotStream() throws(WALError) -> SnapshotStream? {
        try newestReadableSnapshot { (catalog, name) throws(WALError) in SnapshotStream(try catalog.open(name)) }
    }

    /// Checks `metadata` (writer lock taken briefly) and starts the file.
    private func beginSnapshot(_ metadata: SnapshotMetadata) throws(WALError) -> SnapshotWriter {
        let identity = try writerLock.withLock { () throws(WALError) -> LogIdentity in try checkSnapshotLocked(metadata) }
        guard options.snapshotChunkBytes >= 1 && options.snapshotChunkBytes <= SnapshotChunkFormat.maxChunkBytes else {
            throw WALError.invalidArgument("snapshotChunkBytes \(options.snapshotChunkBytes) is not in 1...\(SnapshotChunkFormat.maxChunkBytes)")
        }
        return try SnapshotWriter(durability: durability, identity: identity, metadata: metadata, compress: options.compression,
                                  chunkBytes: options.snapshotChunkBytes)
    }

    /// Checks `metadata` again (the log may have moved on while the data was
    /// written), publishes the file and installs the snapshot.
    private func publishSnapshot(_ metadata: SnapshotMetadata, _ writer: SnapshotWriter) throws(WALError) {
        try writerLock.withLock { () throws(WALError) in
            do throws(WALError) { _ = try checkSnapshotLocked(metadata) } catch {
                writer.discard()
                throw error
            }
            try writer.publish()
            try installSnapshotLocked(metadata, name: writer.name)
        }
    }
}

/// A snapshot's data read chunk by chunk, each chunk verified before it is
/// handed out (``RaftLog/latestSnapshotStream()``).
///
/// The data is valid only once the stream ends without an error: the last
/// step checks the file's totals (chunk count, size and a checksum of all
/// the data, `docs/FORMAT.md` §8.2). A consumer that applies chunks as they
/// come must be able to discard them when the stream throws. Memory: one
/// chunk (a version-1 file is read whole, as it always was). The stream is
/// read once; calls from several threads are serialized.
///
/// ```swift
/// if let stream = try log.latestSnapshotStream() {
///     for try await chunk in stream.chunks { try await send(chunk) }   // or stream.forEachChunk { ... }
/// }
/// ```
public final class SnapshotStream: @unchecked Sendable {
    /// What the snapshot covers.
    public let metadata: SnapshotMetadata
    /// The data's size in bytes, as the file declares it.
    public let dataBytes: UInt64
    /// Guards `reader` (its position moves with every chunk).
    private let lock = ConditionLock()
    private let reader: SnapshotReader

    init(_ reader: SnapshotReader) {
        self.reader = reader
        let h = reader.header
        metadata = SnapshotMetadata(index: h.index, term: h.term, membership: reader.membership)
        dataBytes = h.dataRawLength
    }

    /// The next chunk of data, verified; nil at the end, once the whole
    /// file verified.
    ///
    /// - Throws: ``WALError/corrupted(file:offset:indexes:reason:label:)``
    ///   naming the file and offset of the first damage.
    public func nextChunk() throws(WALError) -> [UInt8]? {
        try lock.withLock { () throws(WALError) -> [UInt8]? in try reader.next() }
    }

    /// Calls `body` with each chunk in order; returns once the whole file verified.
    ///
    /// - Throws: the errors of ``nextChunk()``, and what `body` throws.
    public func forEachChunk(_ body: ([UInt8]) throws -> Void) throws {
        while let chunk = try nextChunk() { try body(chunk) }
    }

    /// The chunks as an `AsyncSequence` (`for try await chunk in stream.chunks`);
    /// it throws the errors of ``nextChunk()``.
    public var chunks: AsyncThrowingStream<[UInt8], any Error> {
        AsyncThrowingStream(unfolding: { try self.nextChunk() })
    }
}
