import RaftWAL
import RaftWALTesting

/// The storage faults `raft-torture sim --faults` injects.
package enum TortureFault: String, CaseIterable, Sendable {
    /// fsync/fdatasync fails with EIO (the page cache drops part of the dirty data).
    case syncEIO = "sync-eio"
    /// The disk fills up during a write, a preallocation or a roll-over.
    case noSpace = "enospc"
    /// A segment write lands at another offset of the same file.
    case misdirectedOffset = "misdirected-offset"
    /// A segment write lands in another file.
    case misdirectedFile = "misdirected-file"
    /// A segment write never reaches the disk, though its sync succeeds.
    case lostWrite = "lost-write"
    /// One bit of a synced segment or snapshot flips.
    case bitFlip = "bit-flip"
    /// A 512-byte sector of a synced file reads as zeros.
    case zeroedSector = "zeroed-sector"
    /// A block of a segment holds bytes of another segment (or of another
    /// offset): a record written at the wrong offset or into the wrong segment.
    case staleBlock = "stale-block"
    /// A whole segment file is gone.
    case lostSegment = "lost-segment"
    /// A snapshot file is gone.
    case lostSnapshot = "lost-snapshot"
    /// The unused, preallocated end of the last segment holds stale bytes of
    /// another segment (old records at the same offsets, as a recycled file would).
    case stalePreallocation = "stale-preallocation"

    /// Armed before the workload runs (the others damage synced data after a crash).
    var onWritePath: Bool {
        switch self {
        case .syncEIO, .noSpace, .misdirectedOffset, .misdirectedFile, .lostWrite: return true
        default: return false
        }
    }

    /// True when no acknowledged byte is harmed, so the strict check applies.
    var harmless: Bool { self == .syncEIO || self == .noSpace || self == .stalePreallocation }

    /// Arms a write-path fault.
    func arm(on fs: SimFileSystem, random r: inout SimRandom) {
        switch self {
        case .syncEIO: fs.failSync(after: r.below(6))
        case .noSpace: fs.capacityBytes = fs.usedBytes + UInt64(r.below(256 << 10))
        case .misdirectedOffset:
            fs.misdirectWrite(pathSuffix: ".seg", after: r.below(4), to: .offset(Int64(r.int(in: 1...64)) * (r.chance(0.5) ? 8 : 512) * (r.chance(0.5) ? 1 : -1)))
        case .misdirectedFile:
            if let other = fs.paths().filter({ $0.hasSuffix(".seg") }).randomElement(using: &r) {
                fs.misdirectWrite(pathSuffix: ".seg", after: r.below(4), to: .file(other))
            }
        case .lostWrite: fs.misdirectWrite(pathSuffix: ".seg", after: r.below(4), to: .lost)
        default: break
        }
    }

    /// Damages synced data in `directory`; returns what was done, or nil when
    /// the directory offers no target for this fault.
    func injectAtRest(on fs: SimFileSystem, directory: String, random r: inout SimRandom) -> String? {
        let files = fs.paths().filter { $0.hasPrefix(directory + "/") }
        let segments = files.filter { $0.hasSuffix(".seg") }
        let snapshots = files.filter { $0.hasSuffix(".snap") }
        func dataEnd(_ bytes: [UInt8]) -> Int { (bytes.lastIndex { $0 != 0 } ?? -1) + 1 }
        do throws(WALError) {
            switch self {
            case .bitFlip, .zeroedSector:
                guard let file = (segments + snapshots).randomElement(using: &r), let bytes = fs.contents(of: file) else { return nil }
                let end = dataEnd(bytes)
                guard end > 0 else { return nil }
                let offset = UInt64(r.below(end))
                if self == .bitFlip {
                    let bit = r.below(8)
                    try fs.flipBit(file, offset: offset, bit: bit)
                    return "\(rawValue) \(file) offset \(offset) bit \(bit)"
                }
                let sector = offset / 512 * 512
                let upper = min(sector + 512, UInt64(bytes.count))
                try fs.zero(file, range: sector..<upper)
                return "\(rawValue) \(file) bytes \(sector)..<\(upper)"
            case .staleBlock:
                guard let target = segments.randomElement(using: &r), let bytes = fs.contents(of: target) else { return nil }
                let end = dataEnd(bytes)
                guard end > 4096 else { return nil }
                let offset = UInt64(r.int(in: 4096...(end - 1))) / 8 * 8
                let count = min(r.chance(0.5) ? 512 : 4096, bytes.count - Int(offset))
                let source = segments.randomElement(using: &r)!
                let from = fs.contents(of: source) ?? []
                var sourceOffset = Int(offset)
                if source == target || from.count < sourceOffset + count {
                    sourceOffset = r.below(max(1, from.count - count)) / 8 * 8
                }
                guard from.count >= sourceOffset + count, count > 0 else { return nil }
                try fs.overwrite(target, offset: offset, bytes: Array(from[sourceOffset..<(sourceOffset + count)]))
                return "\(rawValue) \(target) offset \(offset) \(count) bytes from \(source) offset \(sourceOffset)"
            case .lostSegment:
                guard let file = segments.randomElement(using: &r) else { return nil }
                try fs.loseFile(file)
                return "\(rawValue) \(file)"
            case .lostSnapshot:
                guard let file = snapshots.randomElement(using: &r) else { return nil }
                try fs.loseFile(file)
                return "\(rawValue) \(file)"
            case .stalePreallocation:
                guard let tail = segments.max(), let bytes = fs.contents(of: tail) else { return nil }
                // Where the valid records end (trailing zeros inside a record are data).
                guard let inspector = try? SegmentInspector(directory: directory, name: baseName(tail), fileSystem: fs),
                      let summary = try? inspector.scan({ _ in true }) else { return nil }
                inspector.close()
                let start = Int(summary.endOffset)
                guard start < bytes.count else { return nil }
                // Old records of another segment, at the same offsets; noise when there is none.
                var stale = [UInt8](repeating: 0, count: bytes.count - start)
                let donor = segments.filter { $0 != tail }.randomElement(using: &r).flatMap { fs.contents(of: $0) } ?? []
                for k in stale.indices {
                    let at = start + k
                    stale[k] = at < donor.count ? donor[at] : UInt8(truncatingIfNeeded: r.next())
                }
                if stale.allSatisfy({ $0 == 0 }) { stale[0] = 0xA5 }
                try fs.overwrite(tail, offset: UInt64(start), bytes: stale)
                return "\(rawValue) \(tail) bytes \(start)..<\(bytes.count)"
            default:
                return nil
            }
        } catch {
            return nil
        }
    }
}

private func baseName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}
