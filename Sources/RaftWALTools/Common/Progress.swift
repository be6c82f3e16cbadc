/// A progress bar on stderr for long scans: drawn only when stderr is a
/// terminal and only once the scan has run for a second, redrawn at most
/// ten times a second, erased when done. Data on stdout is never touched.
package final class Progress {
    let output: Output
    let label: String
    let totalBytes: UInt64
    let start = Terminal.nowNanos()
    var lastDraw: UInt64 = 0
    var drawn = false

    package init(output: Output, label: String, totalBytes: UInt64) {
        self.output = output
        self.label = label
        self.totalBytes = max(totalBytes, 1)
    }

    /// Reports that `doneBytes` of `totalBytes` are done.
    package func update(_ doneBytes: UInt64) {
        guard output.progressEnabled else { return }
        let now = Terminal.nowNanos()
        guard now - start >= 1_000_000_000, now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        drawn = true
        let fraction = min(Double(doneBytes) / Double(totalBytes), 1)
        let width = 30
        let filled = Int(fraction * Double(width))
        let seconds = Double(now - start) / 1e9
        let rate = Double(doneBytes) / seconds / 1e6
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        output.err("\r\(label) [\(bar)] \(Int(fraction * 100))% \(formatBytes(doneBytes)) \(Int(rate)) MB/s ")
    }

    /// Erases the bar.
    package func finish() {
        guard drawn else { return }
        output.err("\r\u{1B}[2K")
        drawn = false
    }
}
