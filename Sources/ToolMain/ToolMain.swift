import ArgumentParser
import RaftWALTools
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ParsableCommand {
    /// Parses the arguments and runs the command with the conventions every
    /// RaftWAL tool shares (`docs/TOOLS.md`, "Conventions"):
    /// - no arguments at all is a usage error: the help goes to stderr, exit 2;
    /// - `--help` and `--version` print to stdout and exit 0;
    /// - an argument error prints `<tool>: <message>` and the usage to
    ///   stderr and exits 2 (argument-parser's own status would be 64);
    /// - an `ExitCode` thrown by a command is the exit status;
    /// - a ``ToolFailure`` prints `<tool>: <message>` to stderr and exits
    ///   with its status.
    ///
    /// `exit(3)` flushes what `print` buffered; `Terminal.write` is unbuffered.
    package static func runAsTool(_ tool: String) -> Never {
        if CommandLine.arguments.count == 1 {
            Terminal.write(helpMessage() + "\n", to: 2)
            endProcess(ExitStatus.usage.rawValue)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
            endProcess(0)
        } catch let code as ExitCode {
            endProcess(code.rawValue)
        } catch let failure as ToolFailure {
            Terminal.write(toolMessage(tool, failure.message) + "\n", to: 2)
            endProcess(failure.status.rawValue)
        } catch {
            let message = fullMessage(for: error)
            if exitCode(for: error) == .success {
                Terminal.write(message + "\n", to: 1)
                endProcess(0)
            }
            if !message.isEmpty { Terminal.write(toolMessage(tool, message) + "\n", to: 2) }
            endProcess(ExitStatus.usage.rawValue)
        }
    }
}

/// `<tool>: <message>`, replacing argument-parser's `Error: ` prefix, so
/// every diagnostic of every tool starts the same way.
func toolMessage(_ tool: String, _ message: String) -> String {
    var text = message
    if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
    return "\(tool): " + text
}

/// `exit(3)` (inside the extension, `exit` names argument-parser's method).
private func endProcess(_ code: Int32) -> Never { exit(code) }
