/// Deterministic payload bytes for ``PayloadKind``.
///
/// The `json` kind concatenates newline-separated records resembling a
/// swarm manager's store actions (nodes, services, tasks, networks,
/// secrets: ids from a small population, labels, digests, timestamps) and
/// cuts them to exactly the payload size, as the etcd baseline does. The
/// bytes are not the baseline's (that one uses Go's generator); to feed
/// both engines the same bytes, use a corpus file (`--payload-file`).
struct PayloadGenerator {
    let kind: PayloadKind
    let sizeBytes: Int
    private var random: PayloadRandom
    private var sequence = 0
    private var nodeIDs: [String] = []
    private var serviceIDs: [String] = []
    private var networkIDs: [String] = []

    init(kind: PayloadKind, sizeBytes: Int, seed: UInt64) {
        self.kind = kind
        self.sizeBytes = sizeBytes
        self.random = PayloadRandom(seed: seed)
        nodeIDs = (0..<12).map { _ in id() }
        serviceIDs = (0..<40).map { _ in id() }
        networkIDs = (0..<6).map { _ in id() }
    }

    mutating func next() -> [UInt8] {
        switch kind {
        case .zero:
            return [UInt8](repeating: 0, count: sizeBytes)
        case .random:
            var out = [UInt8](repeating: 0, count: sizeBytes)
            var k = 0
            while k < sizeBytes {
                var word = random.next()
                for _ in 0..<8 where k < sizeBytes {
                    out[k] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    k += 1
                }
            }
            return out
        case .json:
            var text: [UInt8] = []
            text.reserveCapacity(sizeBytes + 1024)
            while text.count < sizeBytes {
                text.append(contentsOf: record().utf8)
                text.append(UInt8(ascii: "\n"))
            }
            return Array(text[0..<sizeBytes])
        }
    }

    // MARK: JSON-like records

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let stacks = ["shop", "billing", "monitoring", "auth", "search", "ingest"]
    private static let roles = ["frontend", "api", "worker", "db", "cache", "proxy", "exporter"]
    private static let states = ["new", "pending", "assigned", "accepted", "preparing", "starting", "running", "complete", "shutdown", "failed"]
    private static let images = ["nginx", "redis", "postgres", "prom/node-exporter", "traefik", "registry.internal:5000/shop/web", "grafana/grafana"]
    private static let envKeys = ["LOG_LEVEL", "GOMAXPROCS", "DB_HOST", "CACHE_TTL", "FEATURE_FLAGS", "TZ"]

    private mutating func int(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
    private mutating func pick(_ xs: [String]) -> String { xs[int(xs.count)] }

    /// A 25-character object id, as swarmkit's.
    private mutating func id() -> String {
        String(decoding: (0..<25).map { _ in Self.alphabet[int(Self.alphabet.count)] }, as: UTF8.self)
    }

    private mutating func hex(_ n: Int) -> String {
        String(decoding: (0..<n).map { _ in Self.hexDigits[int(16)] }, as: UTF8.self)
    }

    /// An RFC 3339 timestamp with nanoseconds, in late 2023 / 2024.
    private mutating func timestamp() -> String {
        let day = 1 + int(28), month = 1 + int(12), hour = int(24), minute = int(60), second = int(60)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "2024-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second)).\(100_000_000 + int(900_000_000))Z"
    }

    private mutating func labels() -> String {
        var s = "{\"com.docker.stack.namespace\":\"\(pick(Self.stacks))\",\"tier\":\"\(pick(Self.roles))\""
        if int(2) == 0 { s += ",\"com.example.team\":\"team-\(int(20))\"" }
        return s + "}"
    }

    private mutating func meta(_ version: Int) -> String {
        "\"meta\":{\"version\":{\"index\":\(version)},\"created_at\":\"\(timestamp())\",\"updated_at\":\"\(timestamp())\"}"
    }

    private mutating func record() -> String {
        sequence += 1
        let version = 1000 + sequence
        switch int(10) {
        case 0:
            return "{\"action\":\"update\",\"kind\":\"node\",\"node\":{\"id\":\"\(pick(nodeIDs))\",\(meta(version)),\"spec\":{\"annotations\":{\"name\":\"worker-\(int(64))\",\"labels\":\(labels())},\"role\":\"worker\",\"membership\":\"accepted\",\"availability\":\"active\"},\"description\":{\"hostname\":\"worker-\(int(64))\",\"platform\":{\"architecture\":\"x86_64\",\"os\":\"linux\"},\"resources\":{\"nano_cpus\":\((1 + int(16)) * 1_000_000_000),\"memory_bytes\":\((1 + int(64)) * 1_073_741_824)}},\"status\":{\"state\":\"ready\",\"addr\":\"10.0.\(int(8)).\(2 + int(250))\"}}}"
        case 1, 2:
            return "{\"action\":\"update\",\"kind\":\"service\",\"service\":{\"id\":\"\(pick(serviceIDs))\",\(meta(version)),\"spec\":{\"annotations\":{\"name\":\"\(pick(Self.stacks))_\(pick(Self.roles))\",\"labels\":\(labels())},\"task\":{\"container\":{\"image\":\"\(pick(Self.images)):1.\(int(30)).\(int(10))@sha256:\(hex(64))\",\"env\":[\"\(pick(Self.envKeys))=\(int(1000))\"]},\"resources\":{\"limits\":{\"nano_cpus\":\((1 + int(4)) * 250_000_000)}},\"placement\":{\"constraints\":[\"node.role==worker\"]},\"networks\":[{\"target\":\"\(pick(networkIDs))\"}]},\"replicated\":{\"replicas\":\(1 + int(12))},\"endpoint\":{\"mode\":\"vip\",\"ports\":[{\"protocol\":\"tcp\",\"target_port\":\(1024 + int(60000)),\"published_port\":\(30000 + int(2767))}]}}}}"
        case 3...7:
            let state = pick(Self.states)
            return "{\"action\":\"update\",\"kind\":\"task\",\"task\":{\"id\":\"\(id())\",\(meta(version)),\"service_id\":\"\(pick(serviceIDs))\",\"slot\":\(1 + int(12)),\"node_id\":\"\(pick(nodeIDs))\",\"desired_state\":\"running\",\"status\":{\"timestamp\":\"\(timestamp())\",\"state\":\"\(state)\",\"message\":\"\(state)\",\"container_status\":{\"container_id\":\"\(hex(64))\",\"pid\":\(1000 + int(60000))}},\"networks_attachments\":[{\"network_id\":\"\(pick(networkIDs))\",\"addresses\":[\"10.0.\(int(8)).\(2 + int(250))/24\"]}],\"spec_version\":{\"index\":\(version - int(100))}}}"
        case 8:
            return "{\"action\":\"create\",\"kind\":\"network\",\"network\":{\"id\":\"\(pick(networkIDs))\",\(meta(version)),\"spec\":{\"annotations\":{\"name\":\"\(pick(Self.stacks))_default\",\"labels\":\(labels())},\"driver_config\":{\"name\":\"overlay\"},\"ipam\":{\"configs\":[{\"subnet\":\"10.0.\(int(256)).0/24\"}]}}}}"
        default:
            return "{\"action\":\"create\",\"kind\":\"secret\",\"secret\":{\"id\":\"\(id())\",\(meta(version)),\"spec\":{\"annotations\":{\"name\":\"\(pick(Self.stacks))_db_password_v\(int(9))\",\"labels\":\(labels())},\"data\":\"\(hex(48))\"}}}"
        }
    }
}


/// SplitMix64 (Steele, Lea and Flood), the generator of `RaftWALTesting`'s
/// `SplitMix64`, written again here (eight lines) so that `raft-bench` does
/// not link the simulator; the same seed gives the same payload bytes as before.
private struct PayloadRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
