// The go line stays at the oldest toolchain we build with (Go 1.19). The build passes
// -modfile with a go.mod per toolchain whose go line is that toolchain's own version,
// so every workload runs with its toolchain's default GODEBUG settings (a go line
// older than the toolchain turns on compatibility settings, e.g. asynctimerchan=1 on
// Go 1.23-1.26 when it says < 1.23).
module gri/go-probes

go 1.19
