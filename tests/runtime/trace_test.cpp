// gri trace end to end on go-probes/trace: main.work is called exactly N times, every other
// call growing (and so moving) the goroutine's stack while main.work is on it.
#include "trace/trace.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "go_probes.h"
#include "goelf/go_binary.h"
#include "probe/child.h"
#include "probe/go_uprobe.h"
#include "report/render.h"

namespace {

using namespace gri::test;
using namespace std::chrono_literals;

constexpr uint64_t kCalls = 2000;

void skip_without_root() {
  if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (run tools/test with sudo)";
}

class TraceTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  void SetUp() override { skip_without_root(); }
};

TEST_P(TraceTest, CountsEveryCallAndTimesItWhileStacksMove) {
  TempDir dir;
  gri::trace::TraceOptions o;
  o.command = {GetParam().path("trace"), "-n", std::to_string(kCalls)};
  o.functions = {"main.work"};
  o.command_stdout = dir.path() + "/out";
  auto r = gri::trace::run_trace(o, [](const std::string&) {});
  ASSERT_TRUE(r) << r.error().message;

  // The target ran to its end unharmed, with its own check passing.
  EXPECT_EQ(read_file(dir.path() + "/out"),
            fmt::format("trace-probe: calls={} sum={} expected={} ok=true\n", kCalls,
                        kCalls * (kCalls - 1) / 2, kCalls * (kCalls - 1) / 2));
  auto j = gri::report::render_json(*r);
  const auto& fn = j["data"]["functions"][0];
  EXPECT_EQ(fn["name"], "main.work");
  EXPECT_EQ(fn["calls"], kCalls);
  EXPECT_EQ(fn["latency_ns"]["count"], kCalls) << "every call timed, entry to return";
  uint64_t hist_total = 0;
  for (const auto& b : fn["latency_ns"]["hist"]) hist_total += b["count"].get<uint64_t>();
  EXPECT_EQ(hist_total, kCalls);
  EXPECT_EQ(j["data"]["unmatched_returns"], 0);
  // Every call ran on some P (g.m.p.id through offsets from DWARF or the version's table).
  uint64_t by_p = 0;
  for (const auto& c : fn["calls_by_p"]) by_p += c.get<uint64_t>();
  EXPECT_EQ(by_p, kCalls);
  EXPECT_EQ(j["data"]["calls_without_p"], 0);
  EXPECT_EQ(j["overhead"]["probe_hits"], 2 * kCalls) << "one entry and one return hit per call";
  EXPECT_GT(j["overhead"]["probe_cost_ns"].get<double>(), 0);
  EXPECT_GT(fn["latency_ns"]["p99"].get<uint64_t>(), fn["latency_ns"]["p50"].get<uint64_t>() / 2);
}

// main.grow recurses 65 frames of 512 B in each deep call (kCalls / 2 of them), so its calls
// are the ones that find the stack too small: their stack check jumps to morestack, which
// grows the stack and starts main.grow again. Each call is still counted once, on every
// release: after the check where its first instruction is emulated (PUSHQ BP, go1.21+), on
// the check's JBE, skipping the jumps taken, where it is not (SUBQ, go1.19; go_uprobe.h).
TEST_P(TraceTest, CountsCallsThatGrowTheStackOnce) {
  gri::trace::TraceOptions o;
  o.command = {GetParam().path("trace"), "-n", std::to_string(kCalls)};
  o.functions = {"main.grow"};
  o.command_stdout = "/dev/null";
  auto r = gri::trace::run_trace(o, [](const std::string&) {});
  ASSERT_TRUE(r) << r.error().message;
  auto j = gri::report::render_json(*r);
  const auto& fn = j["data"]["functions"][0];
  EXPECT_EQ(fn["calls"], kCalls / 2 * 65);
  // Every call either timed or counted as too deep for the frame stack (TRACE_MAX_DEPTH).
  EXPECT_EQ(fn["latency_ns"]["count"].get<uint64_t>() +
                j["data"]["untimed_depth_overflow"].get<uint64_t>(),
            kCalls / 2 * 65);
  EXPECT_EQ(j["data"]["unmatched_returns"], 0);

  auto bin = gri::goelf::GoBinary::open(GetParam().path("trace"));
  ASSERT_TRUE(bin);
  auto point = gri::probe::resolve_probe_point(*bin, "main.grow");
  ASSERT_TRUE(point);
  EXPECT_TRUE(point->stack_check);
  EXPECT_TRUE(point->entry_emulated) << "a cheap entry probe on " << GetParam().label;
  EXPECT_EQ(point->on_check_jump, GetParam().label == "go1.19")
      << "go1.19 opens the frame with SUBQ (single-stepped), later releases with PUSHQ BP";
}

// With GOMAXPROCS=1 there is one P: every call is counted on P 0.
TEST_P(TraceTest, OneProcMeansEveryCallOnP0) {
  gri::trace::TraceOptions o;
  o.command = {GetParam().path("trace"), "-n", "300"};
  o.command_env = {"GOMAXPROCS=1"};
  o.command_stdout = "/dev/null";
  o.functions = {"main.work"};
  auto r = gri::trace::run_trace(o, [](const std::string&) {});
  ASSERT_TRUE(r) << r.error().message;
  auto j = gri::report::render_json(*r);
  EXPECT_EQ(j["data"]["functions"][0]["calls_by_p"], nlohmann::json::array({300}));
}

INSTANTIATE_TEST_SUITE_P(Toolchains, TraceTest,
                         ::testing::ValuesIn(probe_binaries({"", "-stripped", "-pie", "-cgo"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

// The control: the same workload under a uretprobe (bpftrace's) crashes, because the stack
// copier finds the uretprobe trampoline's return address. This is what gri's RET-site return
// probes avoid, and it shows the workload really moves stacks under main.work.
TEST(TraceControl, UretprobeCrashesTheSameWorkload) {
  skip_without_root();
  if (system("command -v bpftrace >/dev/null") != 0) {
    GTEST_SKIP() << "skipped: bpftrace is not installed (tools/setup installs it)";
  }
  TempDir dir;
  std::string exe = probe_path("go1.26", "trace");
  std::string out = dir.path() + "/bpftrace.out";
  std::string cmd = "timeout 120 bpftrace -q -e 'uretprobe:" + exe +
                    ":main.work { @n = count(); }' -c '" + exe + " -n 2000' >" + out + " 2>&1";
  ASSERT_EQ(system(cmd.c_str()), 0) << read_file(out);
  std::string text = read_file(out);
  EXPECT_NE(text.find("unexpected return pc for main.work"), std::string::npos) << text.substr(0, 2000);
  EXPECT_EQ(text.find("ok=true"), std::string::npos) << "the workload survived a uretprobe";
}

// Starts `gri trace -p PID -f main.work ARGS...` with its output in dir/gri.out and
// dir/gri.err, and waits until it says it is tracing.
gri::Result<gri::probe::HeldChild> start_gri_trace(pid_t pid, const TempDir& dir,
                                                   const std::vector<std::string>& args = {}) {
  std::vector<std::string> argv = {build_dir() + "/gri", "trace", "-p", std::to_string(pid), "-f",
                                   "main.work"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto tracer = gri::probe::HeldChild::spawn({argv, {}, dir.path() + "/gri.out", dir.path() + "/gri.err"});
  if (!tracer) return tracer.error();
  if (auto st = tracer->release(); !st) return st.error();
  bool attached = false;
  for (int i = 0; i < 300 && !attached; i++) {
    std::this_thread::sleep_for(10ms);
    attached = read_file(dir.path() + "/gri.err").find("tracing") != std::string::npos;
  }
  if (!attached) return gri::make_error("gri did not attach: {}", read_file(dir.path() + "/gri.err"));
  return tracer;
}

// Reads `n` bytes of a live process's memory at `addr` (/proc/PID/mem).
std::vector<uint8_t> process_bytes(pid_t pid, uint64_t addr, size_t n) {
  std::ifstream mem("/proc/" + std::to_string(pid) + "/mem", std::ios::binary);
  mem.seekg(static_cast<std::streamoff>(addr));
  std::vector<uint8_t> out(n);
  mem.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
  return out;
}

// gri killed with SIGKILL mid-trace: the target goes on and finishes normally, and no
// breakpoint remains in its code (the uprobes went with gri's file descriptors).
TEST(TraceLifecycle, SigkillOfGriLeavesNoProbeBehind) {
  skip_without_root();
  std::string exe = probe_path("go1.26", "trace");
  auto bin = gri::goelf::GoBinary::open(exe);
  ASSERT_TRUE(bin);
  auto point = gri::probe::resolve_probe_point(*bin, "main.work");
  ASSERT_TRUE(point);
  TempDir dir;
  // A long run: 400,000 calls take about 2 s untraced.
  auto target = gri::probe::HeldChild::spawn(
      {{exe, "-n", "400000"}, {}, dir.path() + "/out", dir.path() + "/err"});
  ASSERT_TRUE(target);
  ASSERT_TRUE(target->release());
  std::this_thread::sleep_for(100ms);
  uint64_t entry = point->site();  // non-PIE: link address = run address
  auto before = process_bytes(target->pid(), entry, 1);

  auto tracer = start_gri_trace(target->pid(), dir);
  ASSERT_TRUE(tracer) << tracer.error().message;
  EXPECT_EQ(process_bytes(target->pid(), entry, 1)[0], 0xcc) << "uprobe breakpoint in place";
  kill(tracer->pid(), SIGKILL);
  ASSERT_TRUE(tracer->wait(10s));

  EXPECT_EQ(process_bytes(target->pid(), entry, 1), before) << "the breakpoint is gone";
  auto status = target->wait(120s);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << gri::probe::describe_wait_status(*status) << read_file(dir.path() + "/err");
  EXPECT_NE(read_file(dir.path() + "/out").find("ok=true"), std::string::npos);
  std::string links = run_command("bpftool link list 2>/dev/null || true");
  EXPECT_EQ(links.find("trace_entry"), std::string::npos) << links;
  EXPECT_EQ(links.find("trace_return"), std::string::npos) << links;
}

// SIGTERM (as Ctrl-C's SIGINT) ends a session: gri reports what it saw and exits 0, the
// target goes on.
TEST(TraceLifecycle, SigtermEndsTheSessionWithAReport) {
  skip_without_root();
  TempDir dir;
  std::string exe = probe_path("go1.19", "trace");
  auto target = gri::probe::HeldChild::spawn({{exe, "-n", "400000"}, {}, dir.path() + "/out", ""});
  ASSERT_TRUE(target);
  ASSERT_TRUE(target->release());
  auto tracer = start_gri_trace(target->pid(), dir, {"--json", dir.path() + "/report.json"});
  ASSERT_TRUE(tracer) << tracer.error().message;
  std::this_thread::sleep_for(200ms);
  kill(tracer->pid(), SIGTERM);
  auto st = tracer->wait(10s);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << read_file(dir.path() + "/gri.err");
  auto report = nlohmann::json::parse(read_file(dir.path() + "/report.json"));
  EXPECT_EQ(report["schema"], "gri.report/1");
  EXPECT_GT(report["data"]["functions"][0]["calls"].get<uint64_t>(), 0u);
  EXPECT_NE(read_file(dir.path() + "/gri.out").find("main.work"), std::string::npos);
  auto done = target->wait(120s);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_NE(read_file(dir.path() + "/out").find("ok=true"), std::string::npos);
}

// A process in its own PID and mount namespaces, traced by its host PID.
TEST(TraceLifecycle, TargetInItsOwnPidNamespace) {
  skip_without_root();
  TempDir dir;
  std::string exe = probe_path("go1.27", "trace");
  // unshare forks: the Go program is unshare's child, PID 1 in its namespace.
  auto ns = gri::probe::HeldChild::spawn(
      {{"unshare", "--pid", "--fork", "--mount-proc", exe, "-n", "400000"},
       {},
       dir.path() + "/out",
       ""});
  ASSERT_TRUE(ns);
  ASSERT_TRUE(ns->release());
  // unshare's child, once it has exec'd the workload (before, it is still unshare).
  pid_t host_pid = 0;
  for (int i = 0; i < 500 && host_pid == 0; i++) {
    std::this_thread::sleep_for(10ms);
    std::string kids = read_file("/proc/" + std::to_string(ns->pid()) + "/task/" +
                                 std::to_string(ns->pid()) + "/children");
    if (kids.empty()) continue;
    pid_t kid = std::stoi(kids);
    std::error_code ec;
    auto target_exe = std::filesystem::read_symlink("/proc/" + std::to_string(kid) + "/exe", ec);
    if (!ec && target_exe == std::filesystem::canonical(exe)) host_pid = kid;
  }
  ASSERT_GT(host_pid, 0) << "the workload did not start in its namespace";
  std::string status = read_file("/proc/" + std::to_string(host_pid) + "/status");
  ASSERT_NE(status.find("NSpid:\t" + std::to_string(host_pid) + "\t1"), std::string::npos)
      << "the target should be PID 1 of its own namespace:\n" << status;

  gri::trace::TraceOptions o;
  o.pid = host_pid;
  o.functions = {"main.work"};
  o.duration_s = 0.5;
  auto r = gri::trace::run_trace(o, [](const std::string&) {});
  ASSERT_TRUE(r) << r.error().message;
  auto j = gri::report::render_json(*r);
  EXPECT_GT(j["data"]["functions"][0]["calls"].get<uint64_t>(), 0u) << "calls seen in the namespace";
  EXPECT_EQ(j["target"]["pid"], host_pid);
  auto st = ns->wait(120s);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_NE(read_file(dir.path() + "/out").find("ok=true"), std::string::npos);
}

}  // namespace
