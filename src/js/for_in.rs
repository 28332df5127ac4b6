//! `for…in` loops of CloudFront Functions, rewritten at load into ordinary
//! `for` loops over a native key iterator.
//!
//! boa 0.22 runs a `for…in` step through the full iterator protocol: a
//! native `next` call that allocates a `{value, done}` object, reads its two
//! properties back, records the key in a hash set, and, once the object's
//! own keys are done, walks `Object.prototype`'s twelve keys, none of them
//! enumerable. About 5k instructions a step: a fifth of a security-headers
//! function that loops over seven names. The loop
//!
//! ```js
//! for (var name in wanted) { ... }
//! ```
//!
//! is loaded as
//!
//! ```js
//! for (var name, __cfedge_fi0 = __cfedge_forin((wanted)), __cfedge_fk0;
//!      (__cfedge_fk0 = __cfedge_fi0()) !== undefined && ((name = __cfedge_fk0), true); ) { ... }
//! ```
//!
//! on one line, so that line numbers stay those of the file. The iterator
//! answers the keys in the order, and with the checks, of boa's own
//! (ECMA-262 §14.7.5.9, EnumerateObjectProperties, as its informative
//! implementation does): an object's own keys when the loop reaches it, a
//! key skipped if it was deleted before its turn or is not enumerable, the
//! prototype chain's keys after, each name once. The one shortcut: the
//! realm's `Object.prototype`, frozen by the lockdown with no enumerable
//! key, ends the walk. `break`, `continue`, labels, `let` bindings per
//! iteration and the value the variable keeps after the loop behave as
//! before.
//!
//! Only the plain forms are rewritten: `for (var|let|const NAME in EXPR)`
//! and `for (NAME in EXPR)`. Destructuring, property targets, Annex B's
//! `for (var x = init in o)`, a `const` the body assigns to and a `let` or
//! `const` whose name its own expression uses are left to boa. So is a whole
//! file that contains the text `__cfedge_` (the names the rewrite adds).
//! Visible difference (README fidelity table): a function's `toString()`
//! shows the rewritten loop heads.

use std::collections::HashSet;
use std::ops::ControlFlow;

use boa_engine::ast::declaration::Binding;
use boa_engine::ast::expression::operator::assign::AssignTarget;
use boa_engine::ast::expression::operator::update::UpdateTarget;
use boa_engine::ast::expression::operator::{Assign, Update};
use boa_engine::ast::expression::Identifier;
use boa_engine::ast::statement::iteration::{ForInLoop, IterableLoopInitializer};
use boa_engine::ast::visitor::{VisitWith, Visitor};
use boa_engine::ast::{Position, Script, Spanned};
use boa_engine::builtins::object::OrdinaryObject;
use boa_engine::gc::GcRefCell;
use boa_engine::interner::{Interner, Sym};
use boa_engine::object::FunctionObjectBuilder;
use boa_engine::property::PropertyKey;
use boa_engine::{js_string, Context, JsObject, JsResult, JsString, JsValue, NativeFunction};

/// The factory parameter that holds [`iterator_function`].
pub const ITERATOR: &str = "__cfedge_forin";

/// The prefix of every name the rewrite adds.
const RESERVED: &str = "__cfedge_";

/// `code` with every plain `for…in` head rewritten, or `None` when there is
/// none (or the code uses the reserved prefix).
pub fn rewrite(code: &str, script: &Script, interner: &Interner) -> Option<String> {
    if code.contains(RESERVED) {
        return None;
    }
    let mut finder = Heads {
        interner,
        heads: Vec::new(),
    };
    let _ = script.visit_with(&mut finder);
    if finder.heads.is_empty() {
        return None;
    }
    let lines = LineStarts::of(code);
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (n, head) in finder.heads.iter().enumerate() {
        if let Some(e) = head.edits(n, code, &lines) {
            edits.extend(e);
        }
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|e| e.0);
    if edits.windows(2).any(|w| w[0].1 > w[1].0) {
        return None;
    }
    let mut out = code.to_owned();
    for (start, end, text) in edits.into_iter().rev() {
        out.replace_range(start..end, &text);
    }
    Some(out)
}

/// How a loop declares its variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    /// `for (var x in o)`.
    Var,
    /// `for (let x in o)`.
    Let,
    /// `for (const x in o)` whose body never assigns to `x`: loaded as `let`.
    Const,
    /// `for (x in o)`: a variable declared elsewhere.
    Not,
}

/// One rewritable loop head.
struct Head {
    declared: Declared,
    name: String,
    name_start: Position,
    name_end: Position,
    expr_start: Position,
    expr_end: Position,
}

impl Head {
    /// The text edits for loop number `n`: `(start, end, replacement)` in bytes.
    fn edits(
        &self,
        n: usize,
        code: &str,
        lines: &LineStarts,
    ) -> Option<Vec<(usize, usize, String)>> {
        let a = lines.offset(code, self.name_start)?;
        let b = lines.offset(code, self.name_end)?;
        let c = lines.offset(code, self.expr_start)?;
        let d = lines.offset(code, self.expr_end)?;
        if !(a < b && b <= c && c < d) || code.get(a..b)? != self.name {
            return None;
        }
        // Only ` in ` between the name and the expression, only blanks and
        // the head's `)` after it: the spans are then exactly the name and
        // the expression (a parenthesized expression whose span left out a
        // parenthesis, or a comment, would fail this and stay as it is).
        if code.get(b..c)?.trim() != "in" || !code.get(d..)?.trim_start().starts_with(')') {
            return None;
        }
        let it = format!("{RESERVED}fi{n}");
        let key = format!("{RESERVED}fk{n}");
        let name = &self.name;
        let tail =
            format!(")), {key}; ({key} = {it}()) !== undefined && (({name} = {key}), true); ");
        let mut edits = Vec::new();
        match self.declared {
            Declared::Not => edits.push((a, c, format!("var {it} = {ITERATOR}(("))),
            Declared::Var | Declared::Let | Declared::Const => {
                if self.declared == Declared::Const {
                    // `const` before the name becomes `let` (same length).
                    let before = code.get(..a)?.trim_end();
                    let k = before.len().checked_sub("const".len())?;
                    let boundary = before[..k].chars().next_back();
                    if !before.ends_with("const")
                        || !boundary.is_some_and(|ch| ch == '(' || ch.is_whitespace())
                    {
                        return None;
                    }
                    edits.push((k, k + "const".len(), "let  ".to_owned()));
                }
                edits.push((b, c, format!(", {it} = {ITERATOR}((")));
            }
        }
        edits.push((d, d, tail));
        Some(edits)
    }
}

/// Byte offsets of the lines as boa's lexer counts them (LF, CR, CRLF,
/// U+2028 and U+2029 end a line; columns count code points).
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn of(code: &str) -> Self {
        let mut starts = vec![0];
        let mut chars = code.char_indices().peekable();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '\r' => {
                    if let Some(&(j, '\n')) = chars.peek() {
                        chars.next();
                        starts.push(j + 1);
                    } else {
                        starts.push(i + 1);
                    }
                }
                '\n' | '\u{2028}' | '\u{2029}' => starts.push(i + ch.len_utf8()),
                _ => {}
            }
        }
        LineStarts(starts)
    }

    fn offset(&self, code: &str, p: Position) -> Option<usize> {
        let start = *self
            .0
            .get(usize::try_from(p.line_number()).ok()?.checked_sub(1)?)?;
        let column = usize::try_from(p.column_number()).ok()?.checked_sub(1)?;
        let line = code.get(start..)?;
        match line.char_indices().nth(column) {
            Some((i, _)) => Some(start + i),
            None if line.chars().count() == column => Some(code.len()),
            None => None,
        }
    }
}

/// Finds the rewritable loop heads.
struct Heads<'i> {
    interner: &'i Interner,
    heads: Vec<Head>,
}

impl<'ast> Visitor<'ast> for Heads<'_> {
    type BreakTy = ();

    fn visit_for_in_loop(&mut self, node: &'ast ForInLoop) -> ControlFlow<Self::BreakTy> {
        let plain = |b: &Binding| match b {
            Binding::Identifier(id) => Some(*id),
            Binding::Pattern(_) => None,
        };
        let found = match node.initializer() {
            IterableLoopInitializer::Var(v) if v.init().is_none() => {
                plain(v.binding()).map(|id| (Declared::Var, id))
            }
            IterableLoopInitializer::Let(b) => plain(b).map(|id| (Declared::Let, id)),
            IterableLoopInitializer::Const(b) => plain(b).map(|id| (Declared::Const, id)),
            IterableLoopInitializer::Identifier(id) => Some((Declared::Not, *id)),
            _ => None,
        };
        if let Some((declared, id)) = found {
            let lexical = matches!(declared, Declared::Let | Declared::Const);
            // `for (let x in x)` reads `x` in its temporal dead zone.
            let uses_itself = lexical && mentions(node.target(), id.sym());
            // A `const` the body assigns to must throw as it did.
            let assigned = declared == Declared::Const && assigns(node.body(), id.sym());
            if !uses_itself && !assigned {
                let name = self.interner.resolve_expect(id.sym()).to_string();
                let span = id.span();
                let expr = node.target().span();
                self.heads.push(Head {
                    declared,
                    name,
                    name_start: span.start(),
                    name_end: span.end(),
                    expr_start: expr.start(),
                    expr_end: expr.end(),
                });
            }
        }
        node.visit_with(self)
    }
}

/// Whether `node` mentions identifier `sym` anywhere.
fn mentions<N: VisitWith + ?Sized>(node: &N, sym: Sym) -> bool {
    struct Finds(Sym);
    impl<'ast> Visitor<'ast> for Finds {
        type BreakTy = ();
        fn visit_identifier(&mut self, node: &'ast Identifier) -> ControlFlow<()> {
            if node.sym() == self.0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    node.visit_with(&mut Finds(sym)).is_break()
}

/// Whether `node` may assign to `sym`: an assignment, update or loop whose
/// target mentions it (shadowing is not looked at: a body that assigns to
/// another variable of the same name keeps its loop as boa runs it).
fn assigns<N: VisitWith + ?Sized>(node: &N, sym: Sym) -> bool {
    struct Assigns(Sym);
    impl<'ast> Visitor<'ast> for Assigns {
        type BreakTy = ();
        fn visit_assign(&mut self, node: &'ast Assign) -> ControlFlow<()> {
            let hit = match node.lhs() {
                AssignTarget::Identifier(id) => id.sym() == self.0,
                AssignTarget::Pattern(p) => mentions(p, self.0),
                AssignTarget::Access(_) => false,
            };
            if hit {
                return ControlFlow::Break(());
            }
            node.visit_with(self)
        }
        fn visit_update(&mut self, node: &'ast Update) -> ControlFlow<()> {
            if matches!(node.target(), UpdateTarget::Identifier(id) if id.sym() == self.0) {
                return ControlFlow::Break(());
            }
            node.visit_with(self)
        }
        fn visit_iterable_loop_initializer(
            &mut self,
            node: &'ast IterableLoopInitializer,
        ) -> ControlFlow<()> {
            if mentions(node, self.0) {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    node.visit_with(&mut Assigns(sym)).is_break()
}

/// Where a loop's iteration is.
type Walk = GcRefCell<Step>;

/// The object whose keys are being listed (`None` once done), its keys not
/// yet answered (last first), whether they were listed, the keys of this
/// object met so far, and those of the objects before it on the chain
/// (which a prototype's keys of the same name must not repeat).
type Step = (
    Option<JsObject>,
    Vec<JsString>,
    bool,
    Vec<JsString>,
    HashSet<JsString>,
);

/// `__cfedge_forin(o)`: the iterator function of one loop over `o`.
pub fn iterator_function(ctx: &mut Context) -> JsObject {
    FunctionObjectBuilder::new(ctx.realm(), NativeFunction::from_fn_ptr(start))
        .name(js_string!("forIn"))
        .length(1)
        .build()
        .into()
}

fn start(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let v = args.first().cloned().unwrap_or_default();
    // `for (x in null)` and `for (x in undefined)` run no step.
    let object = if v.is_null_or_undefined() {
        None
    } else {
        Some(v.to_object(ctx)?)
    };
    let step: Step = (object, Vec::new(), false, Vec::new(), HashSet::new());
    let next = NativeFunction::from_copy_closure_with_captures(
        |_, _, walk: &Walk, ctx| next(walk, ctx),
        GcRefCell::new(step),
    );
    Ok(FunctionObjectBuilder::new(ctx.realm(), next)
        .name(js_string!("next"))
        .length(0)
        .build()
        .into())
}

/// The next key, or `undefined` when there is none. The walk's state is
/// never borrowed while JavaScript runs (a proxy's traps may call back;
/// a call back into a walk in progress finds nothing).
fn next(walk: &Walk, ctx: &mut Context) -> JsResult<JsValue> {
    loop {
        let (object, listed) = match walk.try_borrow() {
            Ok(w) => (w.0.clone(), w.2),
            Err(_) => return Ok(JsValue::undefined()),
        };
        let Some(object) = object else {
            return Ok(JsValue::undefined());
        };
        if !listed {
            let mut keys: Vec<JsString> = Vec::new();
            for k in object.own_property_keys(ctx)? {
                match k {
                    PropertyKey::String(s) => keys.push(s),
                    PropertyKey::Index(i) => keys.push(JsString::from(i.get().to_string())),
                    PropertyKey::Symbol(_) => {}
                }
            }
            keys.reverse();
            let Ok(mut w) = walk.try_borrow_mut() else {
                return Ok(JsValue::undefined());
            };
            w.1 = keys;
            w.2 = true;
        }
        loop {
            let key = match walk.try_borrow_mut() {
                Ok(mut w) => match w.1.pop() {
                    Some(k) if w.4.contains(&k) => continue,
                    Some(k) => k,
                    None => break,
                },
                Err(_) => return Ok(JsValue::undefined()),
            };
            let Some(enumerable) = own_enumerable(&object, &key, ctx)? else {
                // Deleted before its turn.
                continue;
            };
            if let Ok(mut w) = walk.try_borrow_mut() {
                w.3.push(key.clone());
            }
            if enumerable {
                return Ok(key.into());
            }
        }
        let proto = object.prototype().filter(|p| !ends_walk(p, ctx));
        let Ok(mut w) = walk.try_borrow_mut() else {
            return Ok(JsValue::undefined());
        };
        let here = std::mem::take(&mut w.3);
        if proto.is_some() {
            w.4.extend(here);
        } else {
            w.4.clear();
        }
        w.0 = proto;
        w.1.clear();
        w.2 = false;
    }
}

/// Whether `p` is the realm's `Object.prototype`, frozen by the lockdown:
/// it has no enumerable key and can never get one, so the walk stops there.
fn ends_walk(p: &JsObject, ctx: &mut Context) -> bool {
    JsObject::equals(p, &ctx.intrinsics().constructors().object().prototype())
        && p.is_extensible(ctx).is_ok_and(|e| !e)
}

/// `Some(enumerable)` when `o` has own property `key`, `None` when not.
fn own_enumerable(o: &JsObject, key: &JsString, ctx: &mut Context) -> JsResult<Option<bool>> {
    let k = PropertyKey::from(key.clone());
    // Ordinary objects and arrays keep their properties in their storage;
    // an event map listed once forwards to one (see field_map.rs).
    let plain = if o.is::<OrdinaryObject>() || o.is_array() {
        Some(o.clone())
    } else {
        super::field_map::flushed_target(ctx, o)
    };
    if let Some(p) = plain {
        return Ok(p
            .borrow()
            .properties()
            .get(&k)
            .map(|d| d.enumerable().unwrap_or(false)));
    }
    // Anything else (a proxy, a String object, a typed array) through its
    // own [[GetOwnProperty]], as `Reflect.getOwnPropertyDescriptor` does.
    let reflect = ctx.intrinsics().objects().reflect();
    let gopd = reflect.get(js_string!("getOwnPropertyDescriptor"), ctx)?;
    let Some(gopd) = gopd.as_callable() else {
        return Ok(None);
    };
    let d = gopd.call(
        &JsValue::undefined(),
        &[o.clone().into(), key.clone().into()],
        ctx,
    )?;
    match d.as_object() {
        None => Ok(None),
        Some(d) => Ok(Some(d.get(js_string!("enumerable"), ctx)?.to_boolean())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_offsets_follow_the_lexer() {
        let code = "a\r\nbc\rd\u{2028}é\nf";
        let l = LineStarts::of(code);
        let at = |line, col| l.offset(code, Position::new(line, col));
        assert_eq!(at(1, 1), Some(0));
        assert_eq!(at(2, 2), Some(4));
        assert_eq!(at(3, 1), Some(6));
        assert_eq!(at(4, 2), code.rfind('\n'));
        assert_eq!(at(5, 1), code.rfind('f'));
    }
}
