// Command wb is the ground truth for EXP-06: -writers goroutines rewrite the pointer fields
// of a live graph of -nodes nodes as fast as they can while the main goroutine forces -n
// collections. During each cycle's concurrent mark every such write goes through the write
// barrier, which buffers pointers per P and flushes the buffer when it fills; outside mark
// the barrier is off and nothing is buffered. At the end it prints what it did:
//
//	wb-probe: cycles=N writes=W elapsed_s=T
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// watched holds graph[0]'s address (a uintptr: it does not keep the node alive, the graph does).
var watched uintptr

type node struct {
	next, other *node
	pad         [6]uintptr
}

func main() {
	n := flag.Int("n", 20, "forced collections")
	nodes := flag.Int("nodes", 100000, "nodes in the live graph")
	writers := flag.Int("writers", 2, "goroutines rewriting pointers")
	// Under probes on every marking call the mark phase is far slower than usual, and writers
	// at full speed keep it from ever finishing; -batch and -pause slow them down.
	batch := flag.Int("batch", 1024, "pointer-writing iterations between pauses")
	pause := flag.Duration("pause", 0, "how long a writer sleeps after each batch")
	flag.Parse()
	if *n < 1 || *nodes < 2 || *writers < 1 || *batch < 1 || *pause < 0 {
		fmt.Fprintln(os.Stderr, "wb-probe: -n, -writers must be positive and -nodes at least 2")
		os.Exit(2)
	}
	start := time.Now()
	graph := make([]*node, *nodes)
	for i := range graph {
		graph[i] = &node{}
	}
	watched = uintptr(unsafe.Pointer(graph[0]))
	var writes atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < *writers; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			x := seed*2654435761 + 1
			count := int64(0)
			for !stop.Load() {
				for k := 0; k < *batch; k++ {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
					a := graph[x%uint64(len(graph))]
					a.next = graph[(x>>20)%uint64(len(graph))]
					a.other = graph[(x>>40)%uint64(len(graph))]
				}
				count += 2 * int64(*batch)
				if *pause > 0 {
					time.Sleep(*pause)
				}
			}
			writes.Add(count)
		}(uint64(w + 1))
	}
	for i := 0; i < *n; i++ {
		time.Sleep(2 * time.Millisecond)
		runtime.GC()
	}
	stop.Store(true)
	wg.Wait()
	fmt.Printf("wb-probe: cycles=%d writes=%d watched=%#x elapsed_s=%.6f\n", *n, writes.Load(),
		watched, time.Since(start).Seconds())
	runtime.KeepAlive(graph)
}
