"""Run inside the image by test.sh: start one service as the image's user and wait for its gRPC
readiness ("" SERVING: its database and bus answer), then report the process's user and stop it.

    python -c "$(cat smoke.py)" SERVICE GRPC_ADDRESS TIMEOUT_SECONDS

Prints `uid=<real,effective,saved,fs>` and `serving` and exits 0, or exits 1 with the service's log.
"""

import signal
import subprocess
import sys
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main(service: str, address: str, timeout: float) -> int:
    log_path = f"/tmp/{service}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", f"govhall.{service}"], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + timeout
        status = "not started"
        with grpc.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
                    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
                except grpc.RpcError as exc:
                    status = exc.code().name
                if status == "SERVING":
                    break
                time.sleep(0.2)  # a poll interval, bounded by the deadline above
        with open(f"/proc/{proc.pid}/status") as f:
            uids = next((line.split()[1:] for line in f if line.startswith("Uid:")), [])
        print("uid=" + ",".join(uids))
        if status != "SERVING":
            print(f"{service} not serving after {timeout:.0f} s: {status}; exit {proc.poll()}")
            print(open(log_path, encoding="utf-8", errors="replace").read()[-4000:])
            return 1
        print("serving")
        return 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
