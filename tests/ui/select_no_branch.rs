fn main() {
    runtime::block_on(async {
        let _: () = runtime::select! {};
    });
}
