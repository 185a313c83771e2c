//! `rediss://`: the backend over TLS (rustls), against a private TLS-only redis-server with a throwaway CA, and a
//! refused TLS connection, typed and without the password.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bus_core::{Backend, Error, Message, RangeBound, Topic};
use bus_redis::{RedisBackend, RedisOptions};

/// A TLS-only server on a free port, killed on drop.
struct TlsServer {
    child: Child,
    port: u16,
    dir: tempdir::Dir,
}

mod tempdir {
    /// A directory removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn required() -> bool {
    std::env::var("BUS_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

fn skip(reason: &str) -> Option<TlsServer> {
    if required() {
        panic!("BUS_REQUIRE_REDIS=1 but the TLS test cannot run: {reason}");
    }
    eprintln!("\n**********\nSKIP tls: {reason}\n**********\n");
    None
}

fn openssl(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn start() -> Option<TlsServer> {
    let dir = std::env::temp_dir().join(format!("bus-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = tempdir::Dir(dir);
    let ok = openssl(
        &dir.0,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=bus-test-ca",
        ],
    ) && std::fs::write(dir.0.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1").is_ok()
        && openssl(
            &dir.0,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        )
        && openssl(
            &dir.0,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        );
    if !ok {
        return skip("openssl could not make test certificates (is it installed?)");
    }
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--tls-cert-file", "server.crt", "--tls-key-file", "server.key"])
            .args(["--tls-ca-cert-file", "ca.crt", "--tls-auth-clients", "no"])
            .current_dir(&dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = child else {
            return skip("redis-server is not on PATH");
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break; // the port was taken meanwhile: try another
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(TlsServer { child, port, dir });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    skip("redis-server did not start with TLS")
}

fn quick() -> RedisOptions {
    RedisOptions::default()
        .response_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2))
}

impl TlsServer {
    fn dir(&self) -> &Path {
        &self.dir.0
    }
}

#[tokio::test]
async fn rediss_urls_talk_tls() {
    let Some(server) = start() else {
        return;
    };
    // The server's certificate comes from a throwaway CA, trusted through the options.
    let url = format!("rediss://localhost:{}/", server.port);
    let ca = std::fs::read(server.dir().join("ca.crt")).unwrap();
    let unverified = RedisBackend::connect(&url, quick()).await.unwrap_err();
    assert_eq!(
        unverified.kind(),
        "tls_mismatch",
        "a certificate from an unknown CA: {unverified}"
    );
    assert!(
        unverified.to_string().contains("tls_root_certificate"),
        "the message says what to set: {unverified}"
    );
    let backend = RedisBackend::connect(&url, quick().tls_root_certificate(ca))
        .await
        .unwrap();
    let topic = Topic::new("tls:topic").unwrap();
    let message = Message::from_json(bus_core::Uuid::new_v4(), r#"{"secure":true}"#).unwrap();
    let published = backend
        .publish(&topic, &message, &Default::default())
        .await
        .unwrap()
        .unwrap();
    let entries = backend
        .range(&topic, RangeBound::MIN, RangeBound::MAX, None)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, published.entry_id);
    assert_eq!(entries[0].message().unwrap(), message);

    let plain = format!("redis://127.0.0.1:{}/", server.port);
    let refused = RedisBackend::connect(&plain, quick()).await;
    assert!(
        refused.is_err(),
        "a plain-TCP client must not get through a TLS-only port"
    );
}

#[tokio::test]
async fn tls_urls_are_supported() {
    // Nothing listens on port 1: the TLS stack (rustls) is built and the refusal comes back typed.
    let options = RedisOptions::new().connect_timeout(Duration::from_millis(200));
    let err = RedisBackend::connect("rediss://:pw-secret@127.0.0.1:1/0", options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("pw-secret"));
    assert!(
        err.to_string()
            .starts_with("connection error during connect rediss://:***@127.0.0.1:1/0"),
        "{err}"
    );
}
