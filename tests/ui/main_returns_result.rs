#[runtime::main(worker_threads = 2)]
async fn main() -> Result<(), std::num::ParseIntError> {
    let n: u8 = "7".parse()?;
    assert_eq!(runtime::spawn(async move { n }).await.unwrap(), 7);
    Ok(())
}
