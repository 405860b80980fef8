// Command httpload is the "real program" workload of the slowdown benchmarks (tools/bench-exp):
// an HTTP server on loopback and -c clients in the same process sending -n requests in all,
// each answered with a small JSON body built per request (allocation, a map, a mutex-guarded
// counter: the scheduler, the allocator and the GC all work). One process, so a tracer that
// attaches to it sees both sides. At the end it prints
//
//	httpload: requests=N errors=E elapsed_s=T cpu_s=C nvcsw=V nivcsw=I
//
// elapsed_s covers the requests only, not the start-up, so gri's own start-up is not counted.
// cpu_s (user and system time), nvcsw and nivcsw (the threads' voluntary and involuntary
// context switches) are the process's own getrusage(RUSAGE_SELF) over its whole life: how it
// spent the CPUs, for telling a tracer's cost from a change in how the program schedules.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type reply struct {
	ID    int               `json:"id"`
	Count int64             `json:"count"`
	Tags  map[string]string `json:"tags"`
}

func main() {
	n := flag.Int("n", 20000, "requests in all")
	c := flag.Int("c", 8, "concurrent clients")
	flag.Parse()
	if *n < 1 || *c < 1 {
		fmt.Fprintln(os.Stderr, "httpload: -n and -c must be positive")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var served int64
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.URL.Query().Get("id"))
		mu.Lock()
		served++
		count := served
		mu.Unlock()
		tags := make(map[string]string, 4)
		for i := 0; i < 4; i++ {
			tags["k"+strconv.Itoa(i)] = strconv.Itoa(id * i)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(reply{ID: id, Count: count, Tags: tags})
	})
	go func() { _ = http.Serve(ln, mux) }()

	url := "http://" + ln.Addr().String() + "/work?id="
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *c}}
	var next, errors atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < *c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				id := next.Add(1)
				if id > int64(*n) {
					return
				}
				resp, err := client.Get(url + strconv.FormatInt(id, 10))
				if err != nil {
					errors.Add(1)
					continue
				}
				var body reply
				if json.NewDecoder(resp.Body).Decode(&body) != nil || body.ID != int(id) {
					errors.Add(1)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	fmt.Printf("httpload: requests=%d errors=%d elapsed_s=%.6f cpu_s=%.3f nvcsw=%d nivcsw=%d\n", *n,
		errors.Load(), elapsed, cpu, ru.Nvcsw, ru.Nivcsw)
}
