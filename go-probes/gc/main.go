// Command gc is the ground truth for the GC experiment (EXP-05) and for the walking
// skeleton: -n rounds, each allocating -round bytes (in -chunk pieces, the last -keep of
// them kept live) and then forcing a collection with runtime.GC(). Allocation triggers
// heap cycles in between. At the end it prints what the runtime itself counted:
//
//	gc-probe: forced=N numgc=M numforcedgc=N elapsed_s=T
//
// With -last-line B it then writes one line of B bytes to stderr and exits at once: the
// check that every byte a traced command writes reaches the user whole and in order.
//
// Run it with GODEBUG=gctrace=1 and the runtime prints one "gc K @..." line per
// completed cycle; M equals the number of those lines, and N of them end in "(forced)".
//
// Allocation and runtime.GC() run in one goroutine on purpose. runtime.GC() first waits
// for a cycle in flight, then asks gcStart for the next one; when another goroutine
// allocates meanwhile, a heap-triggered cycle can take that next number and the forced
// one is dropped (Go 1.26 src/runtime/mgc.go, GC and gcTrigger.test). Measured here with
// a concurrent allocator: 20 runtime.GC() calls gave NumForcedGC 15-19 on go1.19, 1.26
// and 1.27. Sequential, every call forces exactly one cycle.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

// sink keeps allocations reachable so the compiler cannot drop them and the live heap
// does not collapse to zero between cycles.
var sink [][]byte

func main() {
	n := flag.Int("n", 20, "number of forced collections (runtime.GC calls)")
	round := flag.Int("round", 16<<20, "bytes allocated before each forced collection")
	chunk := flag.Int("chunk", 64<<10, "bytes per allocation")
	keep := flag.Int("keep", 64, "allocations kept live")
	lastLine := flag.Int("last-line", 0, "bytes of a line written to stderr just before exiting (0: none)")
	flag.Parse()
	if *n < 1 || *round < 1 || *chunk < 1 || *keep < 1 {
		fmt.Fprintln(os.Stderr, "gc-probe: -n, -round, -chunk and -keep must be positive")
		os.Exit(2)
	}

	start := time.Now()
	sink = make([][]byte, *keep)
	k := 0
	for i := 0; i < *n; i++ {
		for done := 0; done < *round; done += *chunk {
			b := make([]byte, *chunk)
			b[0] = byte(k) // write a page so the memory is really used
			sink[k%*keep] = b
			k++
		}
		runtime.GC()
	}
	elapsed := time.Since(start)
	// gctrace prints a cycle's line at the end of gcMarkTermination, which can still be
	// running on another thread after runtime.GC returns (Go 1.26 src/runtime/mgc.go);
	// nothing allocates any more, so no cycle starts while we wait for that line.
	time.Sleep(50 * time.Millisecond)

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("gc-probe: forced=%d numgc=%d numforcedgc=%d elapsed_s=%.6f\n", *n, ms.NumGC,
		ms.NumForcedGC, elapsed.Seconds())
	if *lastLine > 0 {
		os.Stderr.Write(LastLine(*lastLine))
	}
}

// LastLine is "gc-probe-last:" and digits 0-9 repeated, B bytes with its newline; a reader
// checks every byte.
func LastLine(b int) []byte {
	line := []byte("gc-probe-last:")
	for len(line) < b-1 {
		line = append(line, byte('0'+len(line)%10))
	}
	return append(line[:b-1], '\n')
}
