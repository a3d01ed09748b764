#include "server/queue_server.h"

#include <algorithm>

#include "server/status_util.h"

namespace tailor {

// One call slot: asked for, then (when a call arrives) handled and
// finished; the queue hands it back once more when the finish is done.
struct QueueServer::Call {
  Call(int method, Queue* queue) : method(method), queue(queue) {}
  int method;
  Queue* queue;
  grpc::ServerContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> writer{&context};
  bool finishing = false;
};

QueueServer::QueueServer(grpc::ServerBuilder* builder,
                         std::vector<QueueMethod> methods,
                         QueueServerOptions options)
    : methods_(std::move(methods)), options_(options) {
  int n = options_.threads;
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  n = std::max(1, n);
  for (int i = 0; i < n; ++i) {
    auto queue = std::make_unique<Queue>();
    queue->cq = builder->AddCompletionQueue();
    queues_.push_back(std::move(queue));
  }
}

QueueServer::~QueueServer() { Stop(); }

void QueueServer::Start() {
  started_ = true;
  for (const auto& queue : queues_) {
    for (size_t m = 0; m < methods_.size(); ++m) {
      for (int i = 0; i < options_.pending_calls; ++i) {
        Ask(static_cast<int>(m), queue.get());
      }
    }
  }
  for (const auto& queue : queues_) {
    threads_.emplace_back([this, q = queue.get()] { Run(q); });
  }
}

void QueueServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (const auto& queue : queues_) {
    MutexLock lock(&queue->mu);
    if (queue->shut_down) continue;
    queue->shut_down = true;
    queue->cq->Shutdown();
  }
  if (!started_) {
    // Never started (the server did not start): drain here.
    for (const auto& queue : queues_) Run(queue.get());
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void QueueServer::Ask(int method, Queue* queue) {
  MutexLock lock(&queue->mu);
  if (queue->shut_down) return;
  auto* call = new Call(method, queue);
  methods_[method].request(&call->context, &call->request, &call->writer,
                           queue->cq.get(), call);
}

void QueueServer::Run(Queue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->cq->Next(&tag, &ok)) {
    auto* call = static_cast<Call*>(tag);
    // A finished call, or a call slot cancelled by the server's shutdown.
    if (call->finishing || !ok) {
      delete call;
      continue;
    }
    // Keep a slot asked for while this call is handled.
    Ask(call->method, queue);
    const absl::Status status =
        methods_[call->method].handle(call->request, &call->response);
    call->finishing = true;
    MutexLock lock(&queue->mu);
    if (queue->shut_down) {
      // No new operations on a shut-down queue; the server has cancelled
      // the call already.
      delete call;
    } else if (status.ok()) {
      call->writer.Finish(call->response, grpc::Status::OK, call);
    } else {
      call->writer.FinishWithError(ToGrpcStatus(status), call);
    }
  }
}

}  // namespace tailor
