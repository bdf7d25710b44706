//! Source addresses for the generator's connections.
//!
//! One source address has about 28,000 ephemeral ports (32768–60999 here), and a TCP
//! connection is a 4-tuple, so past that many connections to one listener the generator must
//! spread its connections over several source addresses: every 127.0.0.x is this host. Each
//! socket is bound to the next address round-robin before it connects, with
//! `IP_BIND_ADDRESS_NO_PORT`, so that the kernel picks the port at connect time per 4-tuple
//! rather than reserving one per address at bind time.
//!
//! Only loopback addresses are accepted: the generator loads this machine and nothing else.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    os::fd::AsRawFd,
    sync::atomic::{AtomicUsize, Ordering::Relaxed},
};

use anyhow::{Context, bail, ensure};
use tokio::net::{TcpSocket, TcpStream};

/// Connections per source address beyond which `auto` adds another one (the ephemeral range
/// here holds 28,232 ports).
pub const PER_ADDRESS: usize = 25_000;
/// Most addresses a range may name.
const MAX_ADDRESSES: usize = 4096;

/// What `--source-addrs` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// No binding below [`PER_ADDRESS`] connections, else 127.0.0.1.. as many as needed.
    Auto,
    /// These addresses, round-robin.
    List(Vec<Ipv4Addr>),
}

impl SourceSpec {
    /// `auto`, a count `K` (127.0.0.1 … 127.0.0.K), a range `A-B`, or a comma-separated list.
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case("auto") {
            return Ok(Self::Auto);
        }
        let addrs = if let Ok(count) = spec.parse::<usize>() {
            ensure!((1..=MAX_ADDRESSES).contains(&count), "--source-addrs count must be 1..={MAX_ADDRESSES}");
            loopback_run(count)
        } else if let Some((from, to)) = spec.split_once('-') {
            let (from, to) = (parse_ip(from)?, parse_ip(to)?);
            let (a, b) = (u32::from(from), u32::from(to));
            ensure!(a <= b, "--source-addrs range {spec}: the first address is after the last");
            ensure!(
                ((b - a) as usize) < MAX_ADDRESSES,
                "--source-addrs range {spec} is over {MAX_ADDRESSES} addresses"
            );
            (a..=b).map(Ipv4Addr::from).collect()
        } else {
            spec.split(',').map(parse_ip).collect::<anyhow::Result<_>>()?
        };
        for addr in &addrs {
            ensure!(addr.is_loopback(), "--source-addrs: {addr} is not a loopback address (127.0.0.0/8)");
        }
        Ok(Self::List(addrs))
    }

    /// The addresses to use for `connections` connections; empty = let the kernel choose.
    pub fn resolve(&self, connections: usize) -> Vec<Ipv4Addr> {
        match self {
            Self::List(addrs) => addrs.clone(),
            Self::Auto if connections <= PER_ADDRESS => Vec::new(),
            Self::Auto => loopback_run(connections.div_ceil(PER_ADDRESS)),
        }
    }
}

impl std::str::FromStr for SourceSpec {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Self::parse(s)
    }
}

/// 127.0.0.1, 127.0.0.2, … `count` of them (carrying into the third octet past .255).
fn loopback_run(count: usize) -> Vec<Ipv4Addr> {
    let first = u32::from(Ipv4Addr::new(127, 0, 0, 1));
    (0..count as u32).map(|i| Ipv4Addr::from(first + i)).collect()
}

fn parse_ip(s: &str) -> anyhow::Result<Ipv4Addr> {
    s.trim().parse().with_context(|| format!("--source-addrs: {s:?} is not an IPv4 address"))
}

/// Hands out source addresses round-robin, and dials through them.
#[derive(Debug, Default)]
pub struct Sources {
    addrs: Vec<Ipv4Addr>,
    next: AtomicUsize,
}

impl Sources {
    pub fn new(addrs: Vec<Ipv4Addr>) -> Self {
        Self { addrs, next: AtomicUsize::new(0) }
    }

    pub fn addrs(&self) -> &[Ipv4Addr] {
        &self.addrs
    }

    fn pick(&self) -> Option<Ipv4Addr> {
        (!self.addrs.is_empty()).then(|| self.addrs[self.next.fetch_add(1, Relaxed) % self.addrs.len()])
    }

    /// Connects to `target` (`host:port`) from the next source address, if there are any.
    pub async fn dial(&self, target: &str) -> std::io::Result<TcpStream> {
        let Some(source) = self.pick() else {
            return TcpStream::connect(target).await;
        };
        let peer = resolve(target).await?;
        let socket = match peer {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => {
                return Err(std::io::Error::other("--source-addrs needs an IPv4 target"));
            }
        };
        bind_no_port(&socket);
        socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
        socket.connect(peer).await
    }
}

/// `host:port` to a socket address; IP literals need no lookup.
async fn resolve(target: &str) -> std::io::Result<SocketAddr> {
    if let Ok(addr) = target.parse() {
        return Ok(addr);
    }
    tokio::net::lookup_host(target)
        .await?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, format!("{target} resolves to nothing")))
}

/// Lets the kernel choose the port at connect time (per 4-tuple), not at bind time (per
/// address); best effort: without it each address still has its own port range.
fn bind_no_port(socket: &TcpSocket) {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a pointer to an int of the size given.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Fails unless `spec` is a usable `--source-addrs` value (for clap).
pub fn parse_arg(spec: &str) -> Result<SourceSpec, String> {
    SourceSpec::parse(spec).map_err(|e| format!("{e:#}"))
}

/// Refuses a source list that cannot carry `connections` to one listener.
pub fn check_capacity(addrs: &[Ipv4Addr], connections: usize) -> anyhow::Result<()> {
    let capacity = addrs.len().max(1) * 28_000;
    if connections > capacity {
        bail!(
            "{connections} connections to one listener need more than {} source address(es) \
             (about 28,000 ephemeral ports each): pass --source-addrs 127.0.0.1-127.0.0.{}",
            addrs.len().max(1),
            connections.div_ceil(PER_ADDRESS)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!(SourceSpec::parse("auto").unwrap(), SourceSpec::Auto);
        let ip = |d: u8| Ipv4Addr::new(127, 0, 0, d);
        assert_eq!(SourceSpec::parse("3").unwrap(), SourceSpec::List(vec![ip(1), ip(2), ip(3)]));
        assert_eq!(SourceSpec::parse("127.0.0.5-127.0.0.7").unwrap(), SourceSpec::List(vec![ip(5), ip(6), ip(7)]));
        assert_eq!(SourceSpec::parse("127.0.0.9,127.0.0.2").unwrap(), SourceSpec::List(vec![ip(9), ip(2)]));
        let wide = SourceSpec::parse("127.0.0.250-127.0.1.5").unwrap();
        assert_eq!(wide, SourceSpec::List(loopback_run(261)[249..].to_vec()));
        assert!(SourceSpec::parse("10.0.0.1").is_err(), "only loopback");
        assert!(SourceSpec::parse("127.0.0.9-127.0.0.1").is_err());
        assert!(SourceSpec::parse("0").is_err());
        assert!(SourceSpec::parse("127.0.0.1-127.1.0.0").is_err(), "too many");
        assert!(SourceSpec::parse("nope").is_err());
    }

    #[test]
    fn auto_spreads_only_when_needed() {
        assert!(SourceSpec::Auto.resolve(PER_ADDRESS).is_empty());
        assert_eq!(SourceSpec::Auto.resolve(100_000).len(), 4);
        assert_eq!(SourceSpec::Auto.resolve(100_001).len(), 5);
        assert!(check_capacity(&[], 20_000).is_ok());
        assert!(check_capacity(&[], 60_000).is_err());
        assert!(check_capacity(&loopback_run(4), 100_000).is_ok());
    }

    #[test]
    fn round_robin() {
        let sources = Sources::new(loopback_run(2));
        let picked: Vec<_> = (0..4).map(|_| sources.pick().unwrap().octets()[3]).collect();
        assert_eq!(picked, [1, 2, 1, 2]);
        assert_eq!(Sources::default().pick(), None);
    }

    #[tokio::test]
    async fn dials_from_the_chosen_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = listener.local_addr().unwrap().to_string();
        let sources = Sources::new(vec![Ipv4Addr::new(127, 0, 0, 7)]);
        let stream = sources.dial(&target).await.unwrap();
        assert_eq!(stream.local_addr().unwrap().ip(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 7)));
        let (_, peer) = listener.accept().await.unwrap();
        assert_eq!(peer.ip(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 7)));
    }
}
