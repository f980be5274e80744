//! `select!`'s one helper that a `macro_rules!` macro cannot be: a branch's
//! pattern with its bindings made harmless, for the check "does the output
//! match?" that runs before the branch is chosen.

use proc_macro::{Group, TokenStream, TokenTree};

/// `pattern` without its `ref` and `mut` binding modes: matched against a
/// reference to the output, its bindings then borrow instead of moving, so
/// the check leaves the output whole for the handler's own match.
pub(crate) fn clean_pattern(pattern: TokenStream) -> TokenStream {
    pattern
        .into_iter()
        .filter(|token| !matches!(token, TokenTree::Ident(ident) if ident.to_string() == "ref" || ident.to_string() == "mut"))
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut cleaned = Group::new(group.delimiter(), clean_pattern(group.stream()));
                cleaned.set_span(group.span());
                TokenTree::Group(cleaned)
            }
            other => other,
        })
        .collect()
}
