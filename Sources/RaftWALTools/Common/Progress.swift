/// A progress bar on stderr for long scans: drawn only when stderr is a
/// terminal and only once the scan has run for a second, redrawn at most
/// ten times a second, erased when done and before any write to stdout
/// (``Output``), so rows never share its line. Data on stdout is never touched.
package final class Progress {
    let output: Output
    let label: String
    let totalBytes: UInt64
    let start = Terminal.nowNanos()
    var lastDraw: UInt64 = 0
    /// How long a scan runs before the bar appears (tests set 0).
    let delayNanos: UInt64

    package convenience init(output: Output, label: String, totalBytes: UInt64) {
        self.init(output: output, label: label, totalBytes: totalBytes, delayNanos: 1_000_000_000)
    }

    package init(output: Output, label: String, totalBytes: UInt64, delayNanos: UInt64) {
        self.output = output
        self.label = label
        self.totalBytes = max(totalBytes, 1)
        self.delayNanos = delayNanos
    }

    /// Reports that `doneBytes` of `totalBytes` are done.
    package func update(_ doneBytes: UInt64) {
        guard output.progressEnabled else { return }
        let now = Terminal.nowNanos()
        guard now - start >= delayNanos, lastDraw == 0 || now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        output.bar.drawn = true
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
        guard output.bar.drawn else { return }
        output.err(ProgressBarState.eraseLine)
        output.bar.drawn = false
    }
}
