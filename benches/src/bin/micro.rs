fn main() {
    let which = std::env::args().nth(1).unwrap();
    let n: u64 = 1_000_000;
    if which == "runtime" {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        let s = rt.block_on(rt.spawn(async move {
            let mut sum = 0;
            for i in 0..n {
                let (tx, rx) = runtime::sync::oneshot::channel();
                tx.send(i).unwrap();
                sum += rx.await.unwrap();
            }
            sum
        }));
        println!("{:?}", s.unwrap());
    } else {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let s = rt.block_on(rt.spawn(async move {
            let mut sum = 0;
            for i in 0..n {
                let (tx, rx) = tokio::sync::oneshot::channel();
                tx.send(i).unwrap();
                sum += rx.await.unwrap();
            }
            sum
        }));
        println!("{:?}", s.unwrap());
    }
}
