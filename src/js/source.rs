//! Loading function source code: rewriting the module imports CloudFront
//! accepts (`import cf from 'cloudfront'`), checking the dialect of each
//! runtime with the real parser, and reporting syntax errors with the line
//! and column of the user's file.
//!
//! Functions are scripts, not ES modules (spec §4.1), so an `import`
//! statement is a syntax error for the parser. CloudFront accepts
//! `import cf from 'cloudfront'` (2.0) and `import crypto from 'crypto'`;
//! the leading import statements are found with boa's lexer (so a string or
//! a comment that merely contains "import" is never touched) and replaced by
//! blanks; the factory that wraps the code provides the bindings instead.
//! An import after other statements is taken as well (ES modules hoist
//! imports, njs accepts them), by line, when the code does not parse
//! without it.

use std::ops::ControlFlow;

use boa_engine::ast::declaration::LexicalDeclaration;
use boa_engine::ast::expression::literal::{
    Literal, LiteralKind, ObjectMethodDefinition, PropertyDefinition,
};
use boa_engine::ast::expression::{Optional, Spread};
use boa_engine::ast::function::{
    AsyncArrowFunction, AsyncFunctionDeclaration, AsyncFunctionExpression,
    AsyncGeneratorDeclaration, AsyncGeneratorExpression, ClassDeclaration, ClassExpression,
    FormalParameter, GeneratorDeclaration, GeneratorExpression,
};
use boa_engine::ast::pattern::Pattern;
use boa_engine::ast::property::MethodDefinitionKind;
use boa_engine::ast::scope::Scope;
use boa_engine::ast::statement::iteration::ForOfLoop;
use boa_engine::ast::statement::Catch;
use boa_engine::ast::visitor::{VisitWith, Visitor};
use boa_engine::ast::{Keyword, Punctuator, Spanned};
use boa_engine::interner::Interner;
use boa_engine::parser::lexer::token::TokenKind;
use boa_engine::parser::source::ReadChar;
use boa_engine::parser::{Lexer, Parser, Source};

use super::Dialect;

/// Code ready to be compiled by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedSource {
    /// The code with its import statements blanked out (same lines and columns).
    pub code: String,
    /// `(binding, module)` for each import, e.g. `("cf", "cloudfront")`.
    pub imports: Vec<(String, String)>,
}

/// A problem in a function's source, with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", location(*line, *column))]
pub struct SourceError {
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

fn location(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
        (Some(l), None) => format!(" (line {l})"),
        _ => String::new(),
    }
}

/// Modules a function may import, per runtime (spec §4.1, §4.3).
fn importable(dialect: Dialect, module: &str) -> bool {
    match module {
        "crypto" | "querystring" => true,
        "cloudfront" | "buffer" => dialect == Dialect::CloudFrontJs2,
        _ => false,
    }
}

/// Prepare `code` for `dialect`: rewrite imports, parse (strict mode), and
/// enforce the runtime's dialect (1.0: no `let`/`const`, no `async`).
pub fn prepare(code: &str, dialect: Dialect) -> Result<PreparedSource, SourceError> {
    check_nesting(code)?;
    let (mut code, mut imports) = strip_imports(code, dialect)?;
    let mut interner = Interner::default();
    let parse = |code: &str, interner: &mut Interner| {
        let mut parser = Parser::new(Source::from_bytes(code.as_bytes()));
        parser.set_strict();
        parser.parse_script(&Scope::new_global(), interner)
    };
    let script = match parse(&code, &mut interner) {
        Ok(script) => script,
        // An import after other statements (ES modules hoist them, and
        // njs accepts them): found by line, and only when the code did not
        // parse without it. A line of a multi-line string or comment that
        // merely looks like an import is blanked too in that case (rare:
        // code with a late import and such a line); code that parses as it
        // is is never touched.
        Err(e) => {
            let Some((later, more)) = strip_later_imports(&code, dialect)? else {
                return Err(parse_error(&e));
            };
            let script = parse(&later, &mut interner).map_err(|_| parse_error(&e))?;
            code = later;
            imports.extend(more);
            script
        }
    };
    if let Some(e) = redeclared(&script, &code, &interner) {
        return Err(e);
    }
    if dialect == Dialect::CloudFrontJs1 {
        let mut finder = Es5Checker;
        if let ControlFlow::Break(what) = script.visit_with(&mut finder) {
            return Err(SourceError {
                line: None,
                column: None,
                message: format!(
                    "SyntaxError: {what} is not supported by the cloudfront-js-1.0 runtime \
                     (use cloudfront-js-2.0)"
                ),
            });
        }
    }
    // `for…in` heads as plain loops over a native iterator (see for_in.rs),
    // kept only if the result parses (it always should).
    if let Some(rewritten) = super::for_in::rewrite(&code, &script, &interner) {
        if parse(&rewritten, &mut interner).is_ok() {
            code = rewritten;
        }
    }
    Ok(PreparedSource { code, imports })
}

/// A function's file nested deeper than the engine's parser can take
/// ([`super::nesting::MAX_SOURCE_NESTING`]) is a syntax error at load.
pub fn check_nesting(code: &str) -> Result<(), SourceError> {
    let limit = super::nesting::MAX_SOURCE_NESTING;
    if super::nesting::bracket_depth(code.encode_utf16()) > limit {
        return Err(SourceError {
            line: None,
            column: None,
            message: format!("SyntaxError: code nested more than {limit} brackets deep"),
        });
    }
    Ok(())
}

/// The `SyntaxError` for a name declared twice in one function body, which
/// boa 0.22 lets through (it applies this early error to scripts and blocks
/// only): `const a = 1; const a = 2;`, `let a; var a;`, `let f; function f() {}`
/// (ECMA-262, FunctionBody early errors; Node.js and njs refuse them). The
/// position is the name's second declaration in the text.
fn redeclared(
    script: &boa_engine::ast::Script,
    code: &str,
    interner: &Interner,
) -> Option<SourceError> {
    let ControlFlow::Break(name) = script.visit_with(&mut Redeclaration) else {
        return None;
    };
    let name = interner.resolve_expect(name).to_string();
    let declaration = regex::Regex::new(&format!(
        r"\b(?:var|let|const|class|function)\s+{}\b",
        regex::escape(&name)
    ))
    .ok()?;
    let at = declaration.find_iter(code).nth(1).map(|m| m.start());
    let (line, column) = match at {
        Some(at) => {
            let before = &code[..at];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            (u32::try_from(line).ok(), u32::try_from(column).ok())
        }
        None => (None, None),
    };
    Some(SourceError {
        line,
        column,
        message: format!("SyntaxError: Identifier '{name}' has already been declared"),
    })
}

/// Finds the first name a function body declares twice (see [`redeclared`]).
struct Redeclaration;

impl<'ast> Visitor<'ast> for Redeclaration {
    type BreakTy = boa_engine::interner::Sym;

    fn visit_function_body(
        &mut self,
        body: &'ast boa_engine::ast::function::FunctionBody,
    ) -> ControlFlow<Self::BreakTy> {
        use boa_engine::ast::operations::{lexically_declared_names, var_declared_names};
        let vars = var_declared_names(body);
        let mut lexical = std::collections::HashSet::new();
        for name in lexically_declared_names(body) {
            if !lexical.insert(name) || vars.contains(&name) {
                return ControlFlow::Break(name);
            }
        }
        body.visit_with(self)
    }
}

/// Check Lambda@Edge module code (a script, sloppy unless it says otherwise)
/// for what the engine's parser lets through: see [`redeclared`].
pub fn check_declarations(code: &str) -> Result<(), SourceError> {
    let mut interner = Interner::default();
    let mut parser = Parser::new(Source::from_bytes(code.as_bytes()));
    match parser.parse_script(&Scope::new_global(), &mut interner) {
        Ok(script) => redeclared(&script, code, &interner).map_or(Ok(()), Err),
        // The engine reports syntax errors itself, with its own wording.
        Err(_) => Ok(()),
    }
}

/// Turn a boa parser error into a positioned [`SourceError`].
fn parse_error(e: &boa_engine::parser::Error) -> SourceError {
    use boa_engine::parser::Error as E;
    let pos = match e {
        E::Expected { span, .. } | E::Unexpected { span, .. } => Some(span.start()),
        E::General { position, .. } => Some(*position),
        E::Lex { err } => match err {
            boa_engine::parser::lexer::Error::Syntax(_, p) => Some(*p),
            boa_engine::parser::lexer::Error::IO(_) => None,
        },
        E::AbruptEnd | E::ScopeAnalysis { .. } => None,
    };
    let mut message = format!("SyntaxError: {e}");
    // boa appends "at line X, col Y"; keep one location, ours.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    SourceError {
        line: pos.map(|p| p.line_number()),
        column: pos.map(|p| p.column_number()),
        message,
    }
}

/// Finds the first construct newer than the 1.0 runtime allows. The 1.0
/// language is ES 5.1 plus template literals, arrow functions, rest
/// parameters, `**` and named capture groups (spec §4.1, the Developer
/// Guide's complete list); what is refused here is what njs (whose API and
/// error texts the 1.0 runtime shows) refuses as well, checked against njs
/// 0.7.9. njs accepts `??`, shorthand and computed properties, getters and
/// numeric separators, and so does this check.
struct Es5Checker;

impl<'ast> Visitor<'ast> for Es5Checker {
    type BreakTy = &'static str;

    fn visit_lexical_declaration(
        &mut self,
        node: &'ast LexicalDeclaration,
    ) -> ControlFlow<Self::BreakTy> {
        match node {
            LexicalDeclaration::Const(_) => ControlFlow::Break("'const'"),
            LexicalDeclaration::Let(_) => ControlFlow::Break("'let'"),
            _ => ControlFlow::Break("'using'"),
        }
    }

    fn visit_async_function_declaration(
        &mut self,
        _: &'ast AsyncFunctionDeclaration,
    ) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("'async function'")
    }

    fn visit_async_function_expression(
        &mut self,
        _: &'ast AsyncFunctionExpression,
    ) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("'async function'")
    }

    fn visit_async_arrow_function(
        &mut self,
        _: &'ast AsyncArrowFunction,
    ) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("'async' arrow function")
    }

    fn visit_class_declaration(&mut self, _: &'ast ClassDeclaration) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("'class'")
    }

    fn visit_class_expression(&mut self, _: &'ast ClassExpression) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("'class'")
    }

    fn visit_generator_declaration(
        &mut self,
        _: &'ast GeneratorDeclaration,
    ) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("a generator function")
    }

    fn visit_generator_expression(
        &mut self,
        _: &'ast GeneratorExpression,
    ) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("a generator function")
    }

    fn visit_async_generator_declaration(
        &mut self,
        _: &'ast AsyncGeneratorDeclaration,
    ) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("an async generator function")
    }

    fn visit_async_generator_expression(
        &mut self,
        _: &'ast AsyncGeneratorExpression,
    ) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("an async generator function")
    }

    fn visit_object_method_definition(
        &mut self,
        node: &'ast ObjectMethodDefinition,
    ) -> ControlFlow<Self::BreakTy> {
        match node.kind() {
            MethodDefinitionKind::Generator | MethodDefinitionKind::AsyncGenerator => {
                ControlFlow::Break("a generator method")
            }
            MethodDefinitionKind::Async => ControlFlow::Break("an 'async' method"),
            MethodDefinitionKind::Get
            | MethodDefinitionKind::Set
            | MethodDefinitionKind::Ordinary => node.visit_with(self),
        }
    }

    fn visit_for_of_loop(&mut self, _: &'ast ForOfLoop) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("'for...of'")
    }

    fn visit_spread(&mut self, _: &'ast Spread) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("spread syntax ('...')")
    }

    fn visit_property_definition(
        &mut self,
        node: &'ast PropertyDefinition,
    ) -> ControlFlow<Self::BreakTy> {
        match node {
            PropertyDefinition::SpreadObject(_) => ControlFlow::Break("object spread ('...')"),
            _ => node.visit_with(self),
        }
    }

    fn visit_optional(&mut self, _: &'ast Optional) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("optional chaining ('?.')")
    }

    fn visit_catch(&mut self, node: &'ast Catch) -> ControlFlow<Self::BreakTy> {
        if node.parameter().is_none() {
            return ControlFlow::Break("'catch' without a binding");
        }
        node.visit_with(self)
    }

    fn visit_formal_parameter(
        &mut self,
        node: &'ast FormalParameter,
    ) -> ControlFlow<Self::BreakTy> {
        if node.init().is_some() {
            return ControlFlow::Break("a default parameter value");
        }
        node.visit_with(self)
    }

    fn visit_pattern(&mut self, _: &'ast Pattern) -> ControlFlow<Self::BreakTy> {
        ControlFlow::Break("destructuring")
    }

    fn visit_literal(&mut self, node: &'ast Literal) -> ControlFlow<Self::BreakTy> {
        match node.kind() {
            LiteralKind::BigInt(_) => ControlFlow::Break("a BigInt literal"),
            _ => ControlFlow::Continue(()),
        }
    }
}

/// `(binding, module)` pairs.
type Imports = Vec<(String, String)>;

/// Blank out whole lines that are `import <name> from '<module>'`, wherever
/// they are; `None` when there is none.
fn strip_later_imports(
    code: &str,
    dialect: Dialect,
) -> Result<Option<(String, Imports)>, SourceError> {
    static IMPORT: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"^\s*import\s+([A-Za-z_$][A-Za-z0-9_$]*)\s+from\s+(?:'([^']+)'|"([^"]+)")\s*;?\s*$"#,
        )
        .ok()
    });
    let Some(re) = IMPORT.as_ref() else {
        return Ok(None);
    };
    let mut imports = Vec::new();
    let mut out = String::with_capacity(code.len());
    for (i, line) in code.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        match re.captures(body) {
            Some(c) => {
                let binding = c.get(1).map_or("", |m| m.as_str());
                let module = c.get(2).or_else(|| c.get(3)).map_or("", |m| m.as_str());
                if !importable(dialect, module) {
                    return Err(SourceError {
                        line: u32::try_from(i + 1).ok(),
                        column: Some(1),
                        message: format!(
                            "SyntaxError: cannot import module '{module}' in the {} runtime",
                            dialect.name()
                        ),
                    });
                }
                imports.push((binding.to_owned(), module.to_owned()));
                out.extend(body.chars().map(|_| ' '));
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    Ok((!imports.is_empty()).then_some((out, imports)))
}

/// A `ReadChar` over a `&str`.
struct StrChars<'a>(std::str::Chars<'a>);

impl ReadChar for StrChars<'_> {
    fn next_char(&mut self) -> std::io::Result<Option<u32>> {
        Ok(self.0.next().map(u32::from))
    }
}

/// Blank out the leading `import <name> from '<module>'` statements.
fn strip_imports(
    code: &str,
    dialect: Dialect,
) -> Result<(String, Vec<(String, String)>), SourceError> {
    let mut interner = Interner::default();
    let mut lexer = Lexer::new(StrChars(code.chars()));
    let mut imports = Vec::new();
    // (line, first column, last column exclusive), 1-based, char columns.
    let mut blanks: Vec<(u32, u32, u32)> = Vec::new();
    let next = |lexer: &mut Lexer<StrChars<'_>>, interner: &mut Interner| loop {
        match lexer.next(interner).ok().flatten() {
            Some(t) if matches!(t.kind(), TokenKind::LineTerminator) => {}
            other => return other,
        }
    };
    let mut tok = next(&mut lexer, &mut interner);
    while let Some(t) = tok.take() {
        if !matches!(t.kind(), TokenKind::Keyword((Keyword::Import, _))) {
            break;
        }
        let start = t.span().start();
        let syntax_error = |msg: &str| SourceError {
            line: Some(start.line_number()),
            column: Some(start.column_number()),
            message: format!("SyntaxError: {msg}"),
        };
        let Some(binding) = next(&mut lexer, &mut interner) else {
            return Err(syntax_error("incomplete import statement"));
        };
        let TokenKind::IdentifierName((name, _)) = binding.kind() else {
            return Err(syntax_error(
                "only default imports are supported: import name from 'module'",
            ));
        };
        let name = interner.resolve_expect(*name).to_string();
        let from = next(&mut lexer, &mut interner);
        let is_from = matches!(
            from.as_ref().map(|t| t.kind()),
            Some(TokenKind::IdentifierName((s, _))) if interner.resolve_expect(*s).to_string() == "from"
        );
        if !is_from {
            return Err(syntax_error("expected 'from' in import statement"));
        }
        let Some(module_tok) = next(&mut lexer, &mut interner) else {
            return Err(syntax_error("expected a module name"));
        };
        let TokenKind::StringLiteral((module, _)) = module_tok.kind() else {
            return Err(syntax_error("expected a module name"));
        };
        let module = interner.resolve_expect(*module).to_string();
        if !importable(dialect, &module) {
            return Err(syntax_error(&format!(
                "cannot import module '{module}' in the {} runtime",
                dialect.name()
            )));
        }
        let mut end = module_tok.span().end();
        tok = next(&mut lexer, &mut interner);
        if let Some(semi) = &tok {
            if matches!(semi.kind(), TokenKind::Punctuator(Punctuator::Semicolon)) {
                end = semi.span().end();
                tok = next(&mut lexer, &mut interner);
            }
        }
        if end.line_number() != start.line_number() {
            return Err(syntax_error("an import statement must fit on one line"));
        }
        blanks.push((
            start.line_number(),
            start.column_number(),
            end.column_number(),
        ));
        imports.push((name, module));
    }
    if blanks.is_empty() {
        return Ok((code.to_owned(), imports));
    }
    let mut out = String::with_capacity(code.len());
    for (i, line) in code.split_inclusive('\n').enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut chars: Vec<char> = line.chars().collect();
        for &(l, from, to) in &blanks {
            if l == n {
                let from = (from as usize).saturating_sub(1);
                let to = (to as usize).saturating_sub(1).min(chars.len());
                for c in chars.iter_mut().take(to).skip(from) {
                    *c = ' ';
                }
            }
        }
        out.extend(chars);
    }
    Ok((out, imports))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_blanked_and_reported() {
        let src = "import cf from 'cloudfront';\nimport crypto from \"crypto\"\nfunction handler(e){return e.request}";
        let p = prepare(src, Dialect::CloudFrontJs2).unwrap();
        assert_eq!(
            p.imports,
            vec![
                ("cf".to_owned(), "cloudfront".to_owned()),
                ("crypto".to_owned(), "crypto".to_owned())
            ]
        );
        assert_eq!(p.code.lines().count(), 3);
        assert!(!p.code.contains("import"));
        assert!(p.code.ends_with("function handler(e){return e.request}"));
    }

    #[test]
    fn import_words_inside_strings_and_comments_are_left_alone() {
        let src = "// import cf from 'cloudfront'\nvar s = \"import x from 'y'\";\nfunction handler(e){return e.request}";
        let p = prepare(src, Dialect::CloudFrontJs2).unwrap();
        assert!(p.imports.is_empty());
        assert_eq!(p.code, src);
    }

    #[test]
    fn cloudfront_module_is_2_0_only() {
        let e = prepare(
            "import cf from 'cloudfront';\nfunction handler(e){}",
            Dialect::CloudFrontJs1,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("cloudfront-js-1.0"), "{}", e.message);
    }

    #[test]
    fn imports_after_other_statements_are_taken_too() {
        let src = "var PREFIX = '/v2';\nimport crypto from 'crypto';\nfunction handler(e){return e.request}";
        let p = prepare(src, Dialect::CloudFrontJs2).unwrap();
        assert_eq!(p.imports, vec![("crypto".to_owned(), "crypto".to_owned())]);
        assert_eq!(p.code.lines().count(), 3);
        assert!(!p.code.contains("import"));
        // A line that only looks like an import, in a string, stays.
        let src = "var s = `\nimport x from 'crypto'\n`;\nfunction handler(e){return e.request}";
        let p = prepare(src, Dialect::CloudFrontJs2).unwrap();
        assert!(p.imports.is_empty());
        assert_eq!(p.code, src);
        // Still only the runtime's modules.
        let e = prepare(
            "var a;\nimport cf from 'cloudfront';",
            Dialect::CloudFrontJs1,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        // A real syntax error keeps its own message.
        let e = prepare(
            "var a = ;\nimport crypto from 'crypto';",
            Dialect::CloudFrontJs2,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn unknown_modules_are_rejected() {
        let e = prepare("import fs from 'fs';", Dialect::CloudFrontJs2).unwrap_err();
        assert!(e.message.contains("'fs'"));
    }

    #[test]
    fn runtime_1_0_rejects_let_and_const_but_not_in_strings_or_comments() {
        let ok = "// let x = 1; const y = 2;\nvar s = 'let const';\nfunction handler(e){ var letter = 1; return e.request }";
        assert!(prepare(ok, Dialect::CloudFrontJs1).is_ok());
        let e = prepare(
            "function handler(e){ let x = 1; return e.request }",
            Dialect::CloudFrontJs1,
        )
        .unwrap_err();
        assert!(e.message.contains("'let'"), "{}", e.message);
        let e = prepare("const x = 1;", Dialect::CloudFrontJs1).unwrap_err();
        assert!(e.message.contains("'const'"), "{}", e.message);
        assert!(prepare("const x = 1; let y = 2;", Dialect::CloudFrontJs2).is_ok());
    }

    #[test]
    fn runtime_1_0_rejects_async() {
        let e = prepare(
            "async function handler(e){ return e.request }",
            Dialect::CloudFrontJs1,
        )
        .unwrap_err();
        assert!(e.message.contains("async"), "{}", e.message);
        assert!(prepare(
            "async function handler(e){ return e.request }",
            Dialect::CloudFrontJs2
        )
        .is_ok());
    }

    #[test]
    fn runtime_1_0_refuses_what_it_does_not_have() {
        let refused = [
            ("class A {}", "'class'"),
            ("var A = class {};", "'class'"),
            ("function* g() { yield 1; }", "generator"),
            ("var o = { *g() {} };", "generator"),
            ("var o = { async f() {} };", "async"),
            (
                "function f(a, b = 2) { return a + b; }",
                "default parameter",
            ),
            ("var {a} = {a: 1};", "destructuring"),
            ("var [a] = [1];", "destructuring"),
            ("function f({a}) { return a; }", "destructuring"),
            ("var a; [a] = [1];", "destructuring"),
            ("for (var x of [1]) {}", "'for...of'"),
            ("Math.max(...[1, 2]);", "spread"),
            ("var a = [...[1]];", "spread"),
            ("var o = {...{a: 1}};", "object spread"),
            ("var o = {}; o?.a;", "optional chaining"),
            ("try { throw 1; } catch { }", "'catch' without a binding"),
            ("var n = 1n;", "BigInt"),
        ];
        for (code, what) in refused {
            let e = prepare(code, Dialect::CloudFrontJs1).unwrap_err();
            assert!(e.message.contains(what), "{code}: {}", e.message);
            assert!(prepare(code, Dialect::CloudFrontJs2).is_ok(), "{code}");
        }
        let accepted = [
            "var f = (a) => a * 2;",
            "function f(...rest) { return rest.length; }",
            "var s = `x${1}`;",
            "var p = 2 ** 3;",
            "var m = /(?<y>\\d+)/.exec('12');",
            "var k = 'a'; var o = {[k]: 1, k, get g() { return 1; }, m() { return 2; }};",
            "var v = null ?? 1;",
            "try { throw 1; } catch (e) { }",
            "for (var k in {a: 1}) {}",
        ];
        for code in accepted {
            assert!(prepare(code, Dialect::CloudFrontJs1).is_ok(), "{code}");
        }
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let e = prepare("var a = 1;\nvar b = ;\n", Dialect::CloudFrontJs2).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.column.is_some());
        assert!(e.message.starts_with("SyntaxError"), "{}", e.message);
    }

    #[test]
    fn code_is_parsed_in_strict_mode() {
        let e = prepare("function handler(e){ with (e) {} }", Dialect::CloudFrontJs2).unwrap_err();
        assert!(e.message.starts_with("SyntaxError"), "{}", e.message);
    }
}
