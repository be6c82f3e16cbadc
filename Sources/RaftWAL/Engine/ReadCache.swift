/// Decoded batches and loaded batch tables, bounded, least recently used
/// first out. Guarded by the log's state lock.
struct ReadCache {
    struct Key: Hashable {
        var segment: String
        var offset: UInt64
    }
    private var batches: [Key: (entries: [Entry], bytes: Int, used: UInt64)] = [:]
    private var tables: [String: (index: SegmentIndex, used: UInt64)] = [:]
    private var bytes = 0
    private var clock: UInt64 = 0
    let capacityBytes: Int
    static let maxTables = 8

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    mutating func batch(_ key: Key) -> [Entry]? {
        guard let hit = batches[key] else { return nil }
        clock += 1
        batches[key]!.used = clock
        return hit.entries
    }

    mutating func insert(_ entries: [Entry], for key: Key) {
        let size = entries.reduce(64) { $0 + $1.sizeBytes }
        guard size <= capacityBytes else { return }
        clock += 1
        while bytes + size > capacityBytes, let victim = batches.min(by: { $0.value.used < $1.value.used }) {
            bytes -= victim.value.bytes
            batches[victim.key] = nil
        }
        batches[key] = (entries, size, clock)
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
        batches = [:]
        tables = [:]
        bytes = 0
    }

    mutating func forget(segment: String) {
        tables[segment] = nil
        for key in batches.keys where key.segment == segment {
            bytes -= batches[key]!.bytes
            batches[key] = nil
        }
    }
}
