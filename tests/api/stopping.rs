//! A stopped server leaves nothing running: its jobs thread and its outbox worker end with it.

use std::net::TcpListener;

use appealdesk::config::Clock;
use appealdesk::startup::{Application, jobs_thread_name};

use crate::helpers::*;
use crate::smtp::{PATIENCE, eventually};

/// How many threads of this process bear `name`, as Linux lists them.
fn threads_named(name: &str) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        panic!("this test reads /proc/self/task (Linux)");
    };
    tasks
        .filter_map(Result::ok)
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|comm| comm.trim_end() == name)
        })
        .count()
}

#[tokio::test]
async fn stopping_the_server_ends_its_jobs_thread_at_once() {
    let database = TestDatabase::fresh();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let name = jobs_thread_name(listener.local_addr().expect("bound").port());
    count_start();
    let app = Application::build_on(settings(&database, Clock::System), listener)
        .await
        .expect("the application starts");
    // The thread names itself once it runs.
    eventually("one jobs thread beside the server", || {
        (threads_named(&name) == 1).then_some(())
    })
    .await;

    let handle = app.handle();
    let serving = tokio::spawn(app.run_until_stopped());
    handle.stop(true).await;
    let served = tokio::time::timeout(PATIENCE, serving)
        .await
        .expect("the server and its jobs stop");
    served.expect("the serving task").expect("a clean stop");
    // Well before the jobs' next run, five minutes away.
    eventually("the jobs thread to end", || {
        (threads_named(&name) == 0).then_some(())
    })
    .await;
}
