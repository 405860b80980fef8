// unique_ptr ownership for libbpf objects and skeletons: RAII from the first allocation.
#pragma once

#include <memory>

struct bpf_link;
extern "C" int bpf_link__destroy(struct bpf_link* link);

namespace gri::probe {

// Calls Fn on the pointer; Fn's result, if any, is ignored (destroy functions).
template <auto Fn>
struct FnDeleter {
  template <typename T>
  void operator()(T* p) const {
    if (p) static_cast<void>(Fn(p));
  }
};

template <typename T, auto Destroy>
using Owned = std::unique_ptr<T, FnDeleter<Destroy>>;

using Link = Owned<bpf_link, bpf_link__destroy>;

}  // namespace gri::probe
