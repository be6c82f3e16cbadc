import RaftWAL

/// The second pass: reads the entries of the live batches found by an
/// ``Analyzer`` run with `keepLiveBatches`, in index order, skipping
/// entries a later record replaced. Works on damaged directories too: what
/// cannot be read was reported by the analysis and is simply absent here.
package struct LiveEntries {
    package let analysis: LogAnalysis
    let fs: any FileSystem

    package init(analysis: LogAnalysis, fileSystem: any FileSystem = POSIXFileSystem()) {
        precondition(analysis.liveBatches != nil, "the analysis must keep live batches")
        self.analysis = analysis
        self.fs = fileSystem
    }

    /// Calls `visit` with every live entry in `range`, in index order;
    /// `visit` returns false to stop. Batches outside the range are not
    /// decompressed. Decoding failures are passed to `failed` and skipped.
    /// With `only`, just the batches holding one of those indexes are read.
    package func forEach(in range: ClosedRange<UInt64>, only: [UInt64]? = nil, onProgress: ((UInt64, UInt64) -> Void)? = nil,
                        failed: (WALError) -> Void = { _ in },
                        _ visit: (Entry) -> Bool) throws(ToolFailure) {
        let batches = analysis.liveBatches ?? []
        // Live batches per segment, keyed by offset.
        var wanted: [Int: [UInt64: LiveBatch]] = [:]
        let sortedOnly = only?.sorted()
        for b in batches where b.lastIndex >= range.lowerBound && b.firstIndex <= range.upperBound {
            if let sortedOnly, !Self.contains(sortedOnly, b.firstIndex...b.lastIndex) { continue }
            wanted[b.segment, default: [:]][b.offset] = b
        }
        let total = analysis.segmentBytes
        var base: UInt64 = 0
        var stopped = false
        for (k, segment) in analysis.segments.enumerated() {
            defer { base += segment.fileBytes }
            guard !stopped, let want = wanted[k], !want.isEmpty else { continue }
            let inspector: SegmentInspector
            do { inspector = try SegmentInspector(directory: analysis.directory, name: segment.name, fileSystem: fs) } catch {
                failed(error)
                continue
            }
            defer { inspector.close() }
            var remaining = want.count
            do {
                try inspector.scan { (event) throws(WALError) -> Bool in
                    guard case let .record(info, entries) = event, let live = want[info.offset] else { return true }
                    remaining -= 1
                    onProgress?(base + info.offset, total)
                    do throws(WALError) {
                        // One entry at a time: `--limit` stops the decode, and nothing is kept.
                        let lo = max(live.firstIndex, range.lowerBound), hi = min(live.lastIndex, range.upperBound)
                        try entries.forEach { e in
                            if e.index > hi { return false }
                            if e.index >= lo && !visit(e) { stopped = true; return false }
                            return true
                        }
                        if stopped { return false }
                    } catch {
                        failed(error)
                    }
                    return remaining > 0
                }
            } catch {
                failed(error)
            }
        }
    }

    /// True when the sorted `indexes` has one in `range` (binary search).
    static func contains(_ indexes: [UInt64], _ range: ClosedRange<UInt64>) -> Bool {
        var lo = 0, hi = indexes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if indexes[mid] < range.lowerBound { lo = mid + 1 } else { hi = mid }
        }
        return lo < indexes.count && indexes[lo] <= range.upperBound
    }
}
