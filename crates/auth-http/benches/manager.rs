//! `TokenManager::token()` on a warm cache, single-threaded and with two
//! threads, side by side with a baseline that holds a `Mutex` across the
//! fetch (the x/oauth2 design) and with the clock reads it could make
//! (`system_clock_read`, `coarse_clock_read` on Linux); on Linux the same
//! read in CPU time per thread (`token_manager_cpu_time`: whether two
//! threads contend, even on a machine busy with other work); and a
//! cold-cache stampede of 10,000 tasks.
//!
//! `-- --flat` runs, instead of criterion, the one- and two-thread reads in
//! alternating rounds ([`flat_rounds`]), which `cargo xtask bench-report`
//! judges "flat" by.
//!
//! With the `metrics` feature, the same cached read for a manager that
//! records metrics (issue 16): with no recorder installed (no-op handles)
//! and with a Prometheus recorder (metrics-exporter-prometheus's, the
//! common one); `token_manager` is the manager without a name, the path a
//! build without the feature takes (`cargo bench -p auth-http --bench
//! manager` measures that build itself).
#![expect(missing_docs, reason = "criterion's macros generate undocumented fns")]
#![expect(clippy::unwrap_used, reason = "bench setup")]

#[path = "support/stats.rs"]
mod stats;

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use auth_core::{Client, ClientCredentials, Clock as _, OAuthToken, Scope, SystemClock, TokenUrl};
use auth_http::{Error, TokenManager, Transport, from_fn};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group};
use stats::{env_count, median};

const STAMPEDE: usize = 10_000;

fn client() -> Client {
    Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("svc", "s3cret").with_scopes([Scope::Read]),
    )
}

/// A provider answering after `latency`, counting requests.
fn provider(latency: Duration, count: Arc<AtomicUsize>) -> impl Transport + Clone + 'static {
    from_fn(move |_request: http::Request<Vec<u8>>| {
        let count = Arc::clone(&count);
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(latency).await;
            Ok(http::Response::builder()
                .header("content-type", "application/json")
                .body(
                    br#"{"access_token":"bench-token","token_type":"Bearer","expires_in":3600}"#
                        .to_vec(),
                )
                .unwrap())
        }
    })
}

/// The x/oauth2 design: one mutex, held while fetching.
struct MutexBaseline<T> {
    client: Client,
    transport: T,
    cached: tokio::sync::Mutex<Option<Arc<OAuthToken>>>,
}

impl<T: Transport> MutexBaseline<T> {
    async fn token(&self) -> Result<Arc<OAuthToken>, Error> {
        let mut cached = self.cached.lock().await;
        let expiry = self.client.options().expiry();
        if let Some(token) = &*cached
            && !expiry.needs_refresh(token, SystemClock.now())
        {
            return Ok(Arc::clone(token));
        }
        let token =
            Arc::new(auth_http::request_token(&self.client, &self.transport, &SystemClock).await?);
        *cached = Some(Arc::clone(&token));
        Ok(token)
    }
}

/// Polls a future that completes without waiting (a warm-cache read) once,
/// so the figure is the read itself, not an executor round trip.
fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a warm-cache read must not wait"),
    }
}

/// Wall time of `threads` threads each calling `read` `iters` times.
fn concurrent(threads: usize, iters: u64, read: impl Fn() + Sync) -> Duration {
    let barrier = std::sync::Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..iters {
                    read();
                }
            });
        }
        barrier.wait();
        let start = Instant::now();
        // Scoped threads are joined when the scope ends.
        start
    })
    .elapsed()
}

/// CPU time of `threads` threads each calling `read` `iters` times, the
/// mean of the threads' own CPU clocks: on a machine busy with other work
/// a thread waiting for a core is not counted, so two threads contending
/// on a cache line still show, two threads taking turns on one core don't.
#[cfg(target_os = "linux")]
fn concurrent_cpu(threads: usize, iters: u64, read: impl Fn() + Sync) -> Duration {
    let cpu_now = || {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Duration::new(
            u64::try_from(t.tv_sec).unwrap(),
            u32::try_from(t.tv_nsec).unwrap(),
        )
    };
    let barrier = std::sync::Barrier::new(threads);
    let total: Duration = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let start = cpu_now();
                    for _ in 0..iters {
                        read();
                    }
                    cpu_now().saturating_sub(start)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total / u32::try_from(threads).unwrap()
}

/// The clock reads a cached call could make: the precise wall clock (what
/// it read before issue 17) and the coarse one it reads now.
fn clock_rows(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function("system_clock_read", |b| {
        b.iter(|| black_box(std::time::SystemTime::now()));
    });
    #[cfg(target_os = "linux")]
    group.bench_function("coarse_clock_read", |b| {
        b.iter(|| {
            black_box(rustix::time::clock_gettime(
                rustix::time::ClockId::RealtimeCoarse,
            ))
        });
    });
}

/// The warm read in CPU time per thread, 1 and 2 threads (see
/// [`concurrent_cpu`]).
#[cfg(target_os = "linux")]
fn cpu_time_rows(group: &mut BenchmarkGroup<'_, WallTime>, manager: &TokenManager) {
    for threads in [1, 2] {
        let name = format!(
            "token_manager_cpu_time/{threads}_thread{}",
            if threads > 1 { "s" } else { "" }
        );
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                concurrent_cpu(threads, iters, || {
                    black_box(now_or_never(manager.token()).unwrap());
                })
            });
        });
    }
}

fn cached_token(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let manager = TokenManager::new(client(), provider(Duration::ZERO, Arc::clone(&count)));
    let baseline = MutexBaseline {
        client: client(),
        transport: provider(Duration::ZERO, Arc::clone(&count)),
        cached: tokio::sync::Mutex::new(None),
    };
    rt.block_on(async {
        manager.token().await.unwrap();
        baseline.token().await.unwrap();
    });

    #[cfg(feature = "metrics")]
    let (metrics_noop, metrics_prometheus) = {
        let named = |name: &str| {
            TokenManager::builder(client(), provider(Duration::ZERO, Arc::clone(&count)))
                .metrics(auth_http::metrics::ManagerName::new(name).unwrap())
                .unwrap()
                .build()
        };
        let noop = named("bench-noop");
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let prometheus = metrics::with_local_recorder(&recorder, || named("bench-prometheus"));
        rt.block_on(async {
            noop.token().await.unwrap();
            prometheus.token().await.unwrap();
        });
        // The recorder lives as long as the handles the manager holds.
        (noop, (prometheus, recorder))
    };

    let mut group = c.benchmark_group("cached_token");
    clock_rows(&mut group);
    group.bench_function("token_manager/1_thread", |b| {
        b.iter(|| black_box(now_or_never(manager.token()).unwrap()));
    });
    #[cfg(target_os = "linux")]
    cpu_time_rows(&mut group, &manager);
    group.bench_function("mutex_baseline/1_thread", |b| {
        b.iter(|| black_box(now_or_never(baseline.token()).unwrap()));
    });
    group.bench_function("token_manager/2_threads", |b| {
        b.iter_custom(|iters| {
            concurrent(2, iters, || {
                black_box(now_or_never(manager.token()).unwrap());
            })
        });
    });
    #[cfg(feature = "metrics")]
    {
        let rows = [
            ("token_manager_metrics_noop", &metrics_noop),
            ("token_manager_metrics_prometheus", &metrics_prometheus.0),
        ];
        for (name, manager) in rows {
            group.bench_function(format!("{name}/1_thread"), |b| {
                b.iter(|| black_box(now_or_never(manager.token()).unwrap()));
            });
            group.bench_function(format!("{name}/2_threads"), |b| {
                b.iter_custom(|iters| {
                    concurrent(2, iters, || {
                        black_box(now_or_never(manager.token()).unwrap());
                    })
                });
            });
        }
    }
    group.bench_function("mutex_baseline/2_threads", |b| {
        b.iter_custom(|iters| {
            concurrent(2, iters, || {
                // Under contention the lock may be taken: wait for it.
                black_box(futures_block_on(&rt, baseline.token()).unwrap());
            })
        });
    });
    group.finish();
    #[cfg(feature = "metrics")]
    {
        // Every hit reached the Prometheus counter (batched, not lost).
        auth_http::metrics::flush_hits();
        let scrape = metrics_prometheus.1.handle().render();
        assert!(
            scrape.contains("auth_http_token_cache_hits_total{manager=\"bench-prometheus\"}"),
            "{scrape}"
        );
    }
    let fetches = if cfg!(feature = "metrics") { 4 } else { 2 };
    assert_eq!(
        count.load(Ordering::SeqCst),
        fetches,
        "one fetch each, then cached"
    );
}

/// Completes `future` on this thread, without entering the runtime when
/// it is ready at once (the common, uncontended case).
fn futures_block_on<F: Future>(rt: &tokio::runtime::Runtime, future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => rt.block_on(future),
    }
}

fn stampede(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("cold_stampede_10k_tasks");
    group.sample_size(10);
    let latency = Duration::from_millis(5);

    group.bench_function("token_manager", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let count = Arc::new(AtomicUsize::new(0));
                let manager = TokenManager::new(client(), provider(latency, Arc::clone(&count)));
                total += rt.block_on(async {
                    let start = Instant::now();
                    let tasks: Vec<_> = (0..STAMPEDE)
                        .map(|_| {
                            let manager = manager.clone();
                            tokio::spawn(async move { manager.token().await.unwrap() })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                    start.elapsed()
                });
                assert_eq!(
                    count.load(Ordering::SeqCst),
                    1,
                    "10,000 callers, one token request"
                );
            }
            total
        });
    });
    group.bench_function("mutex_baseline", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let count = Arc::new(AtomicUsize::new(0));
                let baseline = Arc::new(MutexBaseline {
                    client: client(),
                    transport: provider(latency, Arc::clone(&count)),
                    cached: tokio::sync::Mutex::new(None),
                });
                total += rt.block_on(async {
                    let start = Instant::now();
                    let tasks: Vec<_> = (0..STAMPEDE)
                        .map(|_| {
                            let baseline = Arc::clone(&baseline);
                            tokio::spawn(async move { baseline.token().await.unwrap() })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                    start.elapsed()
                });
                assert_eq!(count.load(Ordering::SeqCst), 1);
            }
            total
        });
    });
    group.finish();
    println!("stampede: {STAMPEDE} tasks per run, exactly 1 token request per run (asserted)");
}

/// `-- --flat`: the warm read with one thread and with two, in alternating
/// rounds (as the load bench alternates its servers), so a burst of other
/// work on the host hits both alike; each round's ratio pairs the two
/// batches run one after the other. `cargo xtask bench-report` judges
/// "flat" by the median ratio. Both batches run on spawned threads
/// ([`concurrent`]). Each round also times a control, loops of arithmetic
/// that share nothing, on one thread and on two: its ratio is what the
/// host alone costs a second thread (a VM's two cores may share a physical
/// core or its caches with other guests). `FLAT_ROUNDS` (default 21),
/// `FLAT_READS` per thread and batch (default 2,000,000). The last line is
/// stable:
///
/// ```text
/// flat rounds=21 reads=2000000 one_thread_ns=29.61 two_threads_ns=30.20 ratio=1.020 control_ratio=1.031
/// ```
fn flat_rounds() {
    let rounds = env_count("FLAT_ROUNDS", 21_u64);
    let reads = env_count("FLAT_READS", 2_000_000_u64);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let manager = TokenManager::new(client(), provider(Duration::ZERO, Arc::clone(&count)));
    rt.block_on(manager.token()).unwrap();
    let read = || {
        black_box(now_or_never(manager.token()).unwrap());
    };
    #[expect(clippy::cast_precision_loss, reason = "a read count, far below 2^52")]
    let per_read = |elapsed: Duration| elapsed.as_secs_f64() * 1e9 / reads as f64;
    // A warm-up round, not counted.
    concurrent(1, reads, read);
    concurrent(2, reads, read);
    let (mut ones, mut twos, mut ratios, mut controls) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let one = per_read(concurrent(1, reads, read));
        let two = per_read(concurrent(2, reads, read));
        let control = concurrent(2, reads, control_step).as_secs_f64()
            / concurrent(1, reads, control_step).as_secs_f64();
        println!(
            "round {round}: 1 thread {one:.2} ns, 2 threads {two:.2} ns, {:.3}x (control {control:.3}x)",
            two / one
        );
        ones.push(one);
        twos.push(two);
        ratios.push(two / one);
        controls.push(control);
    }
    assert_eq!(count.load(Ordering::SeqCst), 1, "one fetch, then cached");
    println!(
        "flat rounds={rounds} reads={reads} one_thread_ns={:.2} two_threads_ns={:.2} ratio={:.3} control_ratio={:.3}",
        median(ones),
        median(twos),
        median(ratios),
        median(controls)
    );
}

/// The control's step: a few nanoseconds of dependent arithmetic on this
/// thread's own state, touching no memory another thread uses.
fn control_step() {
    thread_local! {
        static STATE: std::cell::Cell<u64> = const { std::cell::Cell::new(0x9E37_79B9_7F4A_7C15) };
    }
    STATE.with(|state| {
        let mut x = state.get();
        for i in 0..16u64 {
            x = black_box(x.rotate_left(7) ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
        }
        state.set(x);
    });
}

criterion_group!(benches, cached_token, stampede);

fn main() {
    if std::env::args().any(|arg| arg == "--flat") {
        flat_rounds();
        return;
    }
    // What `criterion_main!` expands to.
    benches();
    Criterion::default().configure_from_args().final_summary();
}
