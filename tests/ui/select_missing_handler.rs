fn main() {
    runtime::block_on(async {
        runtime::select! {
            v = async { 1 } => v,
            w = async { 2 }
        }
    });
}
