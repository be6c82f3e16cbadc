import RaftWAL

/// How a kept write is torn at a crash.
struct SimTear {
    enum Kind { case bytePrefix, sectors }
    var kind: Kind

    static let sectorBytes: UInt64 = 512

    /// The parts of a write of `bytes` at `offset` that reach the disk.
    /// `bytePrefix`: the write stops at an arbitrary byte. `sectors`: each
    /// 512-byte sector (aligned in the file) arrives or not, in any order.
    func pieces(of bytes: [UInt8], at offset: UInt64, random: inout SimRandom) -> [(UInt64, [UInt8])] {
        guard !bytes.isEmpty else { return [] }
        switch kind {
        case .bytePrefix:
            let k = random.below(bytes.count)
            return k == 0 ? [] : [(offset, Array(bytes[0..<k]))]
        case .sectors:
            var out: [(UInt64, [UInt8])] = []
            var start = 0
            while start < bytes.count {
                let absolute = offset + UInt64(start)
                let next = min(bytes.count, start + Int(Self.sectorBytes - absolute % Self.sectorBytes))
                if random.chance(0.5) { out.append((absolute, Array(bytes[start..<next]))) }
                start = next
            }
            return out
        }
    }
}

extension SimState {
    /// Power loss: see ``SimFileSystem/crash()``. Iterates in sorted order so
    /// the random choices, and so the outcome, depend on the seed alone.
    mutating func crash() {
        // Vary how much survives: nothing, everything, or a random share,
        // so both extremes and the mixed middle are explored.
        let keep: Double
        switch random.below(4) {
        case 0: keep = 0
        case 1: keep = 1
        case 2: keep = 0.5
        default: keep = Double(random.below(1001)) / 1000
        }
        let tear = 0.3
        for op in pendingNames where random.chance(keep) { applyDurably(op) }
        pendingNames = []
        for id in inodes.keys.sorted() {
            let ops = inodes[id]!.pending
            inodes[id]!.pending = []
            for op in ops where random.chance(keep) {
                var t: SimTear? = nil
                if case .write = op, random.chance(tear) { t = SimTear(kind: random.chance(0.5) ? .bytePrefix : .sectors) }
                applyDurably(op, of: id, tear: t)
            }
        }
        // A directory whose creation was lost takes its files with it.
        var dirs = durableDirectories
        var changed = true
        while changed {
            changed = false
            for d in dirs where d != "/" && !dirs.contains(parentDirectory(of: d)) {
                dirs.remove(d)
                changed = true
            }
        }
        durableDirectories = dirs
        durableNames = durableNames.filter { dirs.contains(parentDirectory(of: $0.key)) }
        names = durableNames
        directories = durableDirectories
        let live = Set(durableNames.values)
        inodes = inodes.filter { live.contains($0.key) }
        for id in live { inodes[id]!.visible = inodes[id]!.durable }
        locks = [:]
        generation += 1
        killCountdown = nil
        dead = false
        syncFailure = nil
        misdirect = nil
    }
}
