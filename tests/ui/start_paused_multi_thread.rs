fn main() {}
#[runtime::test(flavor = "multi_thread", start_paused = true)]
async fn paused() {}
