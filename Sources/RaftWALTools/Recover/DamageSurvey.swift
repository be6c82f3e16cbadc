import RaftWAL

/// An independent look at what a repair's cut drops, from the segment files
/// themselves (`SegmentInspector` resynchronizes after damage), so that the
/// report never understates a loss: a segment whose header is unreadable
/// still names its first index, and every readable header and record says
/// which commit index it had seen.
struct DamageSurvey {
    /// The highest commit index recorded by any readable segment header or record.
    var highestCommit: UInt64 = 0
    /// Index ranges the files hold above the kept log's last index: valid
    /// records, or a segment with an unreadable header by the range its name
    /// and the next segment's name imply.
    var rangesAbove: [ClosedRange<UInt64>] = []

    init(directory: String, fileSystem: any FileSystem, keptLast last: UInt64) {
        guard let listing = try? DirectoryListing(directory: directory, fileSystem: fileSystem) else { return }
        let segments = listing.segments
        for (k, name) in segments.enumerated() {
            let inspector = try? SegmentInspector(directory: directory, name: name.name, fileSystem: fileSystem)
            defer { inspector?.close() }
            if let header = inspector?.header {
                highestCommit = max(highestCommit, header.hardState.commit)
                var ranges: [ClosedRange<UInt64>] = []
                var commit = highestCommit
                _ = try? inspector?.scan { event in
                    if case .record(let info, _) = event {
                        if let hs = info.hardState { commit = max(commit, hs.commit) }
                        if let r = info.indexes, r.upperBound > last { ranges.append(max(r.lowerBound, last + 1)...r.upperBound) }
                    }
                    return true
                }
                highestCommit = commit
                rangesAbove.append(contentsOf: ranges)
            } else {
                let next = k + 1 < segments.count ? segments[k + 1].firstIndex : name.firstIndex + 1
                let upper = max(name.firstIndex, next > 0 ? next - 1 : 0)
                if upper > last { rangesAbove.append(max(name.firstIndex, last + 1)...upper) }
            }
        }
        rangesAbove = Self.merged(rangesAbove)
    }

    /// Sorted, overlapping or adjacent ranges joined.
    static func merged(_ ranges: [ClosedRange<UInt64>]) -> [ClosedRange<UInt64>] {
        var out: [ClosedRange<UInt64>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }
}
