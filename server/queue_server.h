// Unary methods served from completion queues on threads that answer on the
// thread that took the call.
//
// gRPC's callback API hands each call between threads (the poller that reads
// it, the executor that runs the handler, the poller that writes the
// answer); on a 2-core machine at thousands of calls per second those
// switches cost more than Tailor's own work. Here each of a few threads owns
// one ServerCompletionQueue, takes calls from it, and parses, handles,
// serialises and finishes each on that same thread. Used for the per-page-
// view methods (RecommendFor, GetSegment); the others stay on the callback
// API.
#ifndef TAILOR_SERVER_QUEUE_SERVER_H_
#define TAILOR_SERVER_QUEUE_SERVER_H_

#include <grpcpp/completion_queue.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/byte_buffer.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "core/mutex.h"

namespace tailor {

// One raw unary method served from the queues.
struct QueueMethod {
  // Asks gRPC for the method's next call on `queue` (the generated
  // Service::RequestX of a WithRawMethod_X service); `tag` comes back from
  // the queue when a call arrives.
  std::function<void(grpc::ServerContext*, grpc::ByteBuffer* request,
                     grpc::ServerAsyncResponseWriter<grpc::ByteBuffer>*,
                     grpc::ServerCompletionQueue* queue, void* tag)>
      request;
  // Answers one call: the request's bytes in, the response's bytes out, or
  // the error the call finishes with.
  std::function<absl::Status(const grpc::ByteBuffer& request,
                             grpc::ByteBuffer* response)>
      handle;
};

struct QueueServerOptions {
  // Threads, each with its own completion queue (0: one per core).
  int threads = 0;
  // Calls asked for ahead per method and queue, so that a burst of
  // arrivals finds a call slot waiting.
  int pending_calls = 16;
};

// Lifecycle: construct with the ServerBuilder before BuildAndStart (it adds
// the queues), Start after BuildAndStart, and Stop after
// grpc::Server::Shutdown (it shuts the queues down, drains them and joins
// the threads; calls still being handled then are dropped, which the
// server's shutdown has already cancelled).
// Thread safety: Start and Stop are called once each from one thread; each
// queue's thread is the only one that takes calls from it, and the
// shutdown flag that guards new work on a queue is under that queue's
// mutex.
class QueueServer {
 public:
  QueueServer(grpc::ServerBuilder* builder, std::vector<QueueMethod> methods,
              QueueServerOptions options);
  ~QueueServer();
  QueueServer(const QueueServer&) = delete;
  QueueServer& operator=(const QueueServer&) = delete;

  void Start();
  void Stop();

  int threads() const { return static_cast<int>(queues_.size()); }

 private:
  struct Call;
  struct Queue {
    std::unique_ptr<grpc::ServerCompletionQueue> cq;
    Mutex mu;
    bool shut_down ABSL_GUARDED_BY(mu) = false;
  };
  // Asks for the next call of `method` on `queue` unless it is shut down.
  void Ask(int method, Queue* queue);
  void Run(Queue* queue);

  std::vector<QueueMethod> methods_;
  QueueServerOptions options_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<std::thread> threads_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_QUEUE_SERVER_H_
