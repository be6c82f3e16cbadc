#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `exit(3)`, flushing nothing: all output is written unbuffered by `Terminal.write`.
func exitProcess(_ code: Int32) -> Never { exit(code) }
