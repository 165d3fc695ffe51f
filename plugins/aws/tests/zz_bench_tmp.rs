use demarc_plugin_aws::Aws;
use demarc_plugin_aws::config_item::ConfigItem;
use demarc_sdk::stream::JsonItems;
use demarc_sdk::testing;
use std::time::Instant;

#[test]
#[ignore]
fn bench() {
    let path = std::env::var("BENCH_FILE").unwrap();
    let p = std::path::Path::new(&path);
    let t = Instant::now();
    let bytes = std::fs::read(p).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let n = v["configurationItems"].as_array().unwrap().len();
    println!("Value parse: {:.3}s ({n} items)", t.elapsed().as_secs_f64());
    drop(v);
    let t = Instant::now();
    let _: serde::de::IgnoredAny = serde_json::from_slice(&bytes).unwrap();
    println!("IgnoredAny parse: {:.3}s", t.elapsed().as_secs_f64());
    drop(bytes);

    let t = Instant::now();
    let f = std::fs::File::open(p).unwrap();
    let mut items = JsonItems::new(f, "configurationItems");
    let mut c = 0;
    while let Some(i) = items.next() {
        let i = i.unwrap();
        c += i.bytes.len();
    }
    println!(
        "JsonItems only: {:.3}s ({c} bytes)",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let f = std::fs::File::open(p).unwrap();
    let mut items = JsonItems::new(f, "configurationItems");
    let mut c = 0;
    while let Some(i) = items.next() {
        let i = i.unwrap();
        let ci: ConfigItem<'_> = i.parse().unwrap();
        c += ci.kind().len();
    }
    println!(
        "JsonItems + envelope: {:.3}s ({c})",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let s = testing::scan_dir::<Aws>(
        p.parent().unwrap(),
        &[p.file_name().unwrap().to_str().unwrap()],
        "2026-11-01T00:00:00Z",
    );
    let summary = s.result.unwrap();
    println!(
        "plugin native: {:.3}s ({} findings, {} resources, {} problems)",
        t.elapsed().as_secs_f64(),
        s.findings.len(),
        summary.resources,
        summary.problems.len()
    );
}

#[test]
#[ignore]
fn plugin_only() {
    use demarc_sdk::bindings::demarc::provider::types::EmitError;
    let path = std::env::var("BENCH_FILE").unwrap();
    let p = std::path::Path::new(&path);
    let req = testing::request(
        &p.parent().unwrap().to_string_lossy(),
        &[p.file_name().unwrap().to_str().unwrap()],
        "2026-11-01T00:00:00Z",
    );
    let t = Instant::now();
    let mut count = 0usize;
    let mut sink = |b: &[demarc_sdk::Finding]| -> Result<(), EmitError> {
        count += b.len();
        Ok(())
    };
    let mut out = demarc_sdk::Emitter::new(&mut sink);
    let r = <Aws as demarc_sdk::Provider>::scan(&req, &mut out);
    out.flush().unwrap();
    drop(out);
    r.unwrap();
    println!(
        "plugin only: {:.3}s ({count} findings)",
        t.elapsed().as_secs_f64()
    );
}
