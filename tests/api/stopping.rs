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

/// A port nobody listens on now (for a server in its own process to take).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().expect("bound").port()
}

#[tokio::test]
async fn sigterm_finishes_the_request_under_way_then_exits_0() {
    use std::io::{Read, Write};

    let database = TestDatabase::fresh();
    let port = free_port();
    let mail_dir = std::env::temp_dir().join(format!("appealdesk_stop_mail_{port}"));
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_appealdesk"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database.env_url())
        .env("MAIL_DIR", &mail_dir)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("run appealdesk serve");
    let address = format!("127.0.0.1:{port}");
    let client = client();
    eventually("the server to answer", || {
        std::net::TcpStream::connect(&address).ok().map(drop)
    })
    .await;
    let ok = client
        .get(format!("http://{address}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(ok.status(), 200);
    // Work on the database, so the pool has connections open at the stop.
    let _ = client.get(format!("http://{address}/readyz")).send().await;

    // A request under way: headers and half its body sent.
    let mut under_way = std::net::TcpStream::connect(&address).expect("connect");
    under_way
        .write_all(
            b"POST /appeals HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\n\r\nwechat_id=",
        )
        .expect("the first half");
    // Under way once the server has read what was sent (its socket holds nothing unread).
    let (server_port, client_port) = (
        under_way.peer_addr().expect("peer").port(),
        under_way.local_addr().expect("local").port(),
    );
    eventually("the server to read the first half", || {
        crate::smtp::tcp_sockets(server_port)
            .iter()
            .any(|s| s.remote_port == client_port && s.unread == 0)
            .then_some(())
    })
    .await;

    let pid = libc::pid_t::try_from(server.id()).expect("pid");
    // SAFETY: signals the child we started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    eventually("new connections to be refused", || {
        std::net::TcpStream::connect(&address).err().map(drop)
    })
    .await;

    under_way.write_all(b"wxid_abcd1").expect("the second half");
    let mut answer = String::new();
    under_way.read_to_string(&mut answer).expect("the answer");
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "the request under way is answered (no form token: 403): {answer:.80}"
    );

    let status = eventually("the server to exit", || server.try_wait().expect("wait")).await;
    assert!(
        status.success(),
        "a SIGTERM'd server exits 0, not {status:?}"
    );
    let _ = std::fs::remove_dir_all(mail_dir);
}
