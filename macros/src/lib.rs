//! `#[runtime::main]` and `#[runtime::test]`: run an `async fn` on a runtime;
//! and `select!`'s pattern helper (the macro itself is the facade's).
//!
//! Written on `proc_macro` alone: the function's body becomes the future given
//! to `block_on`, and every mistake becomes a `compile_error!` at the tokens
//! that caused it. The expansion names only `::runtime::…` paths (or the
//! `crate = "..."` option's).

#![forbid(unsafe_code)]

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

mod select;

/// For `runtime::select!` only: a branch's pattern without `ref` and `mut`,
/// to check an output against before the handler binds it.
#[doc(hidden)]
#[proc_macro]
pub fn __select_clean_pattern(pattern: TokenStream) -> TokenStream {
    select::clean_pattern(pattern)
}

/// Runs `async fn main` on a new runtime.
///
/// Options: `worker_threads = N` (multi-thread flavor only),
/// `flavor = "multi_thread"` (the default), `flavor = "current_thread"` or
/// `flavor = "local"` (current-thread, with the body inside a
/// `task::LocalSet`, so `spawn_local` reaches the set), `crate = "path"`
/// (the runtime crate's path when it is renamed or re-exported), and
/// `seed = N`, the schedule seed (`Builder::schedule_seed`; `RUNTIME_SEED`
/// overrides it), and `start_paused = true`, a paused clock
/// (`Builder::start_paused`; current-thread flavor only).
///
/// ```
/// #[runtime::main(worker_threads = 2)]
/// async fn main() -> std::io::Result<()> {
///     runtime::spawn(async {}).await?;
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, Kind::Main).unwrap_or_else(|error| error.into_tokens())
}

/// Runs an `async fn` test on its own new runtime (current-thread flavor unless
/// `flavor = "multi_thread"` is given, as in tokio). Takes the same options as
/// [`macro@main`]. With a schedule seed in effect (`seed = N`, or
/// `RUNTIME_SEED`), a failing test prints `RUNTIME_SEED=N`, which replays
/// its schedule.
///
/// ```
/// #[runtime::test]
/// async fn adds() {
///     assert_eq!(runtime::spawn(async { 1 + 1 }).await.unwrap(), 2);
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, Kind::Test).unwrap_or_else(|error| error.into_tokens())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    MultiThread,
    CurrentThread,
    /// The current-thread flavor with the body in a `LocalSet`.
    Local,
}

struct Options {
    flavor: Flavor,
    /// The path the expansion names the runtime crate by (`crate = "..."`).
    krate: String,
    worker_threads: Option<(u64, Span)>,
    seed: Option<u64>,
    start_paused: Option<(bool, Span)>,
}

/// A compile error at a span, with a dummy function so that no second error
/// ("`main` function not found") hides it.
struct Error {
    span: Span,
    message: String,
    fn_name: Option<Ident>,
}

impl Error {
    fn new(span: Span, message: impl Into<String>) -> Error {
        Error { span, message: message.into(), fn_name: None }
    }

    fn into_tokens(self) -> TokenStream {
        let mut message = Literal::string(&self.message);
        message.set_span(self.span);
        let mut out: TokenStream = [
            TokenTree::Ident(Ident::new("compile_error", self.span)),
            punct('!', self.span),
            TokenTree::Group(with_span(
                Group::new(Delimiter::Parenthesis, TokenTree::Literal(message).into()),
                self.span,
            )),
            punct(';', self.span),
        ]
        .into_iter()
        .collect();
        if let Some(name) = self.fn_name {
            out.extend(tokens(&format!("#[allow(dead_code)] fn {name}() {{}}")));
        }
        out
    }
}

fn punct(c: char, span: Span) -> TokenTree {
    let mut p = Punct::new(c, Spacing::Alone);
    p.set_span(span);
    TokenTree::Punct(p)
}

fn with_span(mut group: Group, span: Span) -> Group {
    group.set_span(span);
    group
}

fn tokens(source: &str) -> TokenStream {
    source.parse().expect("the macro's own tokens parse")
}

fn parse_options(args: TokenStream, kind: Kind) -> Result<Options, Error> {
    let mut options = Options {
        flavor: if kind == Kind::Test { Flavor::CurrentThread } else { Flavor::MultiThread },
        krate: "::runtime".to_owned(),
        worker_threads: None,
        seed: None,
        start_paused: None,
    };
    let mut flavor_given = false;
    let args: Vec<TokenTree> = args.into_iter().collect();
    for option in args.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
        let [key, eq, value] = option else {
            if option.is_empty() {
                continue;
            }
            return Err(Error::new(
                option[0].span(),
                "expected an option like `worker_threads = 4`, `flavor = \"current_thread\"` or `seed = 42`",
            ));
        };
        let (TokenTree::Ident(key), TokenTree::Punct(eq)) = (key, eq) else {
            return Err(Error::new(key.span(), "expected `name = value`"));
        };
        if eq.as_char() != '=' {
            return Err(Error::new(eq.span(), "expected `=`"));
        }
        match key.to_string().as_str() {
            "worker_threads" => {
                let n = value.to_string().replace('_', "").parse::<u64>().ok().filter(|&n| n > 0);
                let Some(n) = n else {
                    return Err(Error::new(value.span(), "`worker_threads` takes a whole number above zero, like `4`"));
                };
                options.worker_threads = Some((n, value.span()));
            }
            "flavor" => {
                options.flavor = match value.to_string().as_str() {
                    "\"multi_thread\"" => Flavor::MultiThread,
                    "\"current_thread\"" => Flavor::CurrentThread,
                    "\"local\"" => Flavor::Local,
                    _ => {
                        return Err(Error::new(
                            value.span(),
                            "unknown flavor: expected \"multi_thread\", \"current_thread\" or \"local\"",
                        ))
                    }
                };
                flavor_given = true;
            }
            "crate" => {
                let text = value.to_string();
                let path = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).filter(|path| {
                    !path.is_empty()
                        && path.split("::").enumerate().all(|(i, part)| {
                            (i == 0 && part.is_empty())
                                || (!part.is_empty()
                                    && !part.starts_with(|c: char| c.is_ascii_digit())
                                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                        })
                });
                let Some(path) = path else {
                    return Err(Error::new(
                        value.span(),
                        "`crate` takes the runtime crate's path as a string, like `\"my_runtime\"`",
                    ));
                };
                options.krate = path.to_owned();
            }
            "seed" => {
                let Ok(seed) = value.to_string().replace('_', "").parse::<u64>() else {
                    return Err(Error::new(value.span(), "`seed` takes a whole number, like `42`"));
                };
                options.seed = Some(seed);
            }
            "start_paused" => {
                let paused = match value.to_string().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(Error::new(value.span(), "`start_paused` takes `true` or `false`")),
                };
                options.start_paused = Some((paused, value.span()));
            }
            other => {
                return Err(Error::new(
                    key.span(),
                    format!(
                    "unknown option `{other}`: expected `worker_threads`, `flavor`, `seed`, `start_paused` or `crate`"
                ),
                ))
            }
        }
    }
    if let (Some((_, span)), Flavor::CurrentThread | Flavor::Local) = (options.worker_threads, options.flavor) {
        let hint = if flavor_given { "" } else { " (the default for tests)" };
        return Err(Error::new(
            span,
            format!("`worker_threads` needs the multi-thread flavor; the current-thread flavor{hint} runs everything on one thread"),
        ));
    }
    if let (Some((true, span)), Flavor::MultiThread) = (options.start_paused, options.flavor) {
        return Err(Error::new(
            span,
            "`start_paused` needs the current-thread flavor: virtual time cannot hold worker threads to one clock",
        ));
    }
    Ok(options)
}

fn expand(args: TokenStream, item: TokenStream, kind: Kind) -> Result<TokenStream, Error> {
    let mut item: Vec<TokenTree> = item.into_iter().collect();
    let is_ident = |t: &TokenTree, name: &str| matches!(t, TokenTree::Ident(i) if i.to_string() == name);

    let fn_index = item
        .iter()
        .position(|t| is_ident(t, "fn"))
        .ok_or_else(|| Error::new(Span::call_site(), "this attribute goes on a function"))?;
    let name = match item.get(fn_index + 1) {
        Some(TokenTree::Ident(name)) => name.clone(),
        _ => return Err(Error::new(item[fn_index].span(), "expected the function's name")),
    };
    let attribute = if kind == Kind::Main { "#[runtime::main]" } else { "#[runtime::test]" };
    let with_name = |error: Error| Error { fn_name: Some(name.clone()), ..error };
    let options = parse_options(args, kind).map_err(with_name)?;
    let Some(async_index) = item[..fn_index].iter().position(|t| is_ident(t, "async")) else {
        return Err(with_name(Error::new(
            item[fn_index].span(),
            format!("{attribute} goes on an `async fn`: add the `async` keyword"),
        )));
    };
    if let (Kind::Test, Some(span)) = (kind, test_attribute(&item[..fn_index])) {
        return Err(with_name(Error::new(
            span,
            "remove the `#[test]` attribute: #[runtime::test] already makes the function a test",
        )));
    }
    let Some(TokenTree::Group(body)) = item.last().cloned() else {
        return Err(with_name(Error::new(name.span(), "expected the function's body")));
    };
    if body.delimiter() != Delimiter::Brace {
        return Err(with_name(Error::new(body.span(), "expected the function's body")));
    }
    match item.get(fn_index + 2) {
        Some(TokenTree::Group(params)) if params.delimiter() == Delimiter::Parenthesis => {
            if !params.stream().is_empty() {
                return Err(with_name(Error::new(params.span(), format!("{attribute} functions take no arguments"))));
            }
        }
        Some(other) => {
            return Err(with_name(Error::new(other.span(), format!("{attribute} functions cannot be generic"))))
        }
        None => return Err(with_name(Error::new(name.span(), "expected the function's parameters"))),
    }
    // The return type: the tokens between `->` and the body (or a `where`).
    let signature_end = item.len() - 1;
    let output: Option<TokenStream> = match (item.get(fn_index + 3), item.get(fn_index + 4)) {
        (Some(TokenTree::Punct(dash)), Some(TokenTree::Punct(gt))) if dash.as_char() == '-' && gt.as_char() == '>' => {
            let ty = &item[fn_index + 5..signature_end];
            let end = ty.iter().position(|t| is_ident(t, "where")).unwrap_or(ty.len());
            Some(ty[..end].iter().cloned().collect())
        }
        _ => None,
    };

    let krate = &options.krate;
    let builder = match options.flavor {
        Flavor::MultiThread => format!("{krate}::Builder::new_multi_thread()"),
        Flavor::CurrentThread | Flavor::Local => format!("{krate}::Builder::new_current_thread()"),
    };
    let mut new_body = TokenStream::new();
    new_body.extend(tokens("let body = async"));
    new_body.extend([TokenTree::Group(body.clone())]);
    new_body.extend(tokens(";"));
    if let Some(output) = &output {
        // Names the future's output type, so `?` in the body infers its error type.
        new_body.extend(tokens("let body: ::core::pin::Pin<&mut dyn ::core::future::Future<Output = "));
        new_body.extend(output.clone());
        new_body.extend(tokens(">> = ::core::pin::pin!(body);"));
    }
    let mut build = builder;
    if let Some((n, _)) = options.worker_threads {
        build.push_str(&format!(".worker_threads({n})"));
    }
    if let Some(seed) = options.seed {
        build.push_str(&format!(".schedule_seed({seed})"));
    }
    if let Some((true, _)) = options.start_paused {
        build.push_str(".start_paused(true)");
    }
    // A test that fails under a schedule seed says which, to replay it.
    if options.flavor == Flavor::Local {
        new_body
            .extend(tokens(&format!("let local = {krate}::task::LocalSet::new(); let body = local.run_until(body);")));
    }
    let run = if kind == Kind::Test {
        format!("{krate}::__run_test(runtime, body)")
    } else {
        "runtime.block_on(body)".to_owned()
    };
    new_body.extend(tokens(&format!(
        "let runtime = {build}.build().expect(\"failed to start the runtime\"); \
         #[allow(clippy::needless_return)] return {run};"
    )));

    item.remove(async_index);
    let last = item.len() - 1;
    item[last] = TokenTree::Group(with_span(Group::new(Delimiter::Brace, new_body), body.span()));
    let mut out = TokenStream::new();
    if kind == Kind::Test {
        out.extend(tokens("#[::core::prelude::v1::test]"));
    }
    out.extend(item);
    Ok(out)
}

/// The span of a plain `#[test]` among the attributes.
fn test_attribute(attributes: &[TokenTree]) -> Option<Span> {
    attributes.iter().find_map(|t| match t {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => {
            let inner: Vec<String> = g.stream().into_iter().map(|t| t.to_string()).collect();
            (inner == ["test"]).then(|| g.span())
        }
        _ => None,
    })
}
