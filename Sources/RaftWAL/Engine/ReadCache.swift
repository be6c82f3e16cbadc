/// Decoded batches and loaded batch tables, bounded, least recently used
/// first out. Guarded by the log's state lock.
struct ReadCache {
    struct Key: Hashable {
        var segment: String
        var offset: UInt64
    }
    private var batches: [Key: (entries: [Entry], bytes: Int, used: UInt64)] = [:]
    /// Batch keys in insertion order, for CLOCK eviction (second chance for
    /// a batch hit since it was queued): O(1) amortized per insert, where a
    /// scan for the least recently used batch made a replay of small
    /// batches quadratic once the cache was full. `head` is the next to check.
    private var order: [(key: Key, queued: UInt64)] = []
    private var head = 0
    /// The last decoded batch too large for the cache. Without it a batch
    /// bigger than the cache was decoded again for every page a reader
    /// asked for (a 16 MiB batch read in 4 MiB pages: four times).
    private var oversize: (key: Key, entries: [Entry])?
    private var tables: [String: (index: SegmentIndex, used: UInt64)] = [:]
    private var bytes = 0
    private var clock: UInt64 = 0
    let capacityBytes: Int
    static let maxTables = 8

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    mutating func batch(_ key: Key) -> [Entry]? {
        if let o = oversize, o.key == key { return o.entries }
        guard let hit = batches[key] else { return nil }
        clock += 1
        batches[key]!.used = clock
        return hit.entries
    }

    mutating func insert(_ entries: [Entry], for key: Key) {
        let size = entries.reduce(64) { $0 + $1.sizeBytes }
        guard size <= capacityBytes else {
            oversize = (key, entries)
            return
        }
        clock += 1
        if let old = batches.removeValue(forKey: key) { bytes -= old.bytes }
        while bytes + size > capacityBytes && head < order.count {
            let (candidate, queued) = order[head]
            head += 1
            guard let entry = batches[candidate], entry.used >= queued else { continue }  // gone or re-queued
            if entry.used > queued {
                order.append((candidate, entry.used))  // hit since queued: second chance
                continue
            }
            bytes -= entry.bytes
            batches[candidate] = nil
        }
        if order.count - head > 4 * (batches.count + 256) {
            // Mostly keys of batches forgotten or re-queued: rebuild from the live ones.
            order = batches.map { (key: $0.key, queued: $0.value.used) }.sorted { $0.queued < $1.queued }
            head = 0
        } else if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        batches[key] = (entries, size, clock)
        order.append((key, clock))
        bytes += size
    }

    mutating func table(_ segment: String) -> SegmentIndex? {
        guard let hit = tables[segment] else { return nil }
        clock += 1
        tables[segment]!.used = clock
        return hit.index
    }

    mutating func insert(_ index: SegmentIndex, for segment: String) {
        clock += 1
        if tables.count >= Self.maxTables, let victim = tables.min(by: { $0.value.used < $1.value.used }) {
            tables[victim.key] = nil
        }
        tables[segment] = (index, clock)
    }

    mutating func removeAll() {
        oversize = nil
        batches = [:]
        order = []
        head = 0
        tables = [:]
        bytes = 0
    }

    mutating func forget(segment: String) {
        if oversize?.key.segment == segment { oversize = nil }
        tables[segment] = nil
        for key in batches.keys where key.segment == segment {
            bytes -= batches[key]!.bytes
            batches[key] = nil
        }
    }
}
