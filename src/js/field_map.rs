//! The event's field maps: `request.querystring`, `request.headers`,
//! `request.cookies`, `response.headers`, `response.cookies` (spec §4.4).
//!
//! They are most of an event's objects (a browser request carries a dozen
//! headers, a cached response as many), and most functions read one or two
//! entries of one map, or none. Building every `{value}` object, and reading
//! every one back, was most of an invocation's cost. So a map is built in
//! two lazy steps, and handed back without JS work wherever it was not
//! changed:
//!
//! 1. **Unread.** The map is an enumerable accessor on its parent (request
//!    or response). A map never read goes back to Rust as the input's data,
//!    untouched. The accessor stays for the whole invocation: its getter
//!    answers the map (or what was assigned), its setter keeps what is
//!    assigned. (Replacing it by a data property on first read, as earlier
//!    versions did, changed the parent's shape from accessor to data, and
//!    boa 0.22's inline caches then served a later invocation's read of the
//!    same code location from the wrong slot: `TypeError: not a callable
//!    function` in a function that had done nothing wrong.)
//! 2. **Proxied.** The value read is a `Proxy` over an empty target, whose
//!    traps (native, shared by the realm) answer from the Rust entries: an
//!    entry's `{value, multiValue?}` object is built the first time it is
//!    read, and an assignment or `delete` only changes the entry list. On
//!    the way back, entries the function did not touch are Rust data again;
//!    only the entries it read or assigned are read from JS.
//!
//! Get, set, `delete`, `in` and `hasOwnProperty` on one entry are answered
//! by the traps. Everything else first *flushes* the map: listing its keys
//! (`for...in`, `Object.keys`/`entries`/`assign`, spread, `JSON.stringify`,
//! which go on to read every entry anyway), `Object.defineProperty`,
//! `Object.freeze`/`seal`/`preventExtensions` and symbol keys. A flush makes
//! every entry a real property of the target and cuts the proxy's own
//! handler off from the realm's traps (the handler is an empty object whose
//! prototype holds the traps), so from then on the proxy forwards
//! everything to the target without a trap call: the proxy invariants hold,
//! and the behaviour and cost are those of a plain object.
//! Two differences remain observable, both listed in the README fidelity
//! table: `Object.getOwnPropertyDescriptor(request, 'headers')` shows an
//! accessor, and the map is a proxy (nothing in the CloudFront Functions
//! runtime can tell a proxy from an object).
//!
//! A viewer-response event's `request` is lazy the same way, one level up
//! (see [`LazyRequest`]): an accessor on the event that builds it on first
//! read, since most viewer-response functions never read it and it is not
//! part of their result.
//!
//! (Tried and not kept: maps as plain objects whose input entries are
//! accessors, one cached getter per name. No trap runs for a missing name,
//! but defining an accessor per entry and reading every key back cost more
//! than the traps on a cache hit's eleven headers; figures in the README.)

use boa_engine::builtins::object::OrdinaryObject;
use boa_engine::object::builtins::JsArray;
use boa_engine::object::{FunctionObjectBuilder, ObjectInitializer};
use boa_engine::property::{PropertyDescriptor, PropertyKey};
use boa_engine::{
    js_string, Context, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction,
};

use std::rc::Rc;

use super::natives::state;
use crate::cloudfront_functions::event::{Event, Field, Fields, ResponseCookie};

/// A plain object on the realm's shared shape tree, as an object literal
/// would be: objects built with the same keys in the same order share one
/// shape, so building them costs no per-object property table.
pub(super) fn obj(ctx: &mut Context) -> JsObject {
    ObjectInitializer::with_native_data(OrdinaryObject, ctx).build()
}

/// A writable, enumerable, configurable data property.
pub(super) fn data_property(v: impl Into<JsValue>) -> PropertyDescriptor {
    PropertyDescriptor::builder()
        .value(v)
        .writable(true)
        .enumerable(true)
        .configurable(true)
        .build()
}

/// Define `k` on a fresh object (what `CreateDataProperty` does, without the
/// checks a new extensible object always passes).
pub(super) fn put(o: &JsObject, k: JsString, v: impl Into<JsValue>) {
    o.insert_property(k, data_property(v));
}

fn s(v: &str) -> JsValue {
    JsString::from(v).into()
}

/// `{value, multiValue?}` for a header, query parameter or request cookie.
fn field_object(field: &Field, ctx: &mut Context) -> JsResult<JsObject> {
    let fo = obj(ctx);
    put(&fo, js_string!("value"), s(&field.value));
    if let Some(mv) = &field.multi_value {
        let values: Vec<JsValue> = mv
            .iter()
            .map(|v| {
                let e = obj(ctx);
                put(&e, js_string!("value"), s(v));
                e.into()
            })
            .collect();
        put(
            &fo,
            js_string!("multiValue"),
            JsArray::from_iter(values, ctx),
        );
    }
    Ok(fo)
}

/// `{value, attributes, multiValue?}` for a response cookie.
fn cookie_object(cookie: &ResponseCookie, ctx: &mut Context) -> JsResult<JsObject> {
    let co = obj(ctx);
    put(&co, js_string!("value"), s(&cookie.value));
    put(&co, js_string!("attributes"), s(&cookie.attributes));
    if let Some(mv) = &cookie.multi_value {
        let values: Vec<JsValue> = mv
            .iter()
            .map(|v| {
                let e = obj(ctx);
                put(&e, js_string!("value"), s(&v.value));
                put(&e, js_string!("attributes"), s(&v.attributes));
                e.into()
            })
            .collect();
        put(
            &co,
            js_string!("multiValue"),
            JsArray::from_iter(values, ctx),
        );
    }
    Ok(co)
}

/// One of the event's maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    RequestQuerystring,
    RequestHeaders,
    RequestCookies,
    ResponseHeaders,
    ResponseCookies,
}

const PARTS: [Part; 5] = [
    Part::RequestQuerystring,
    Part::RequestHeaders,
    Part::RequestCookies,
    Part::ResponseHeaders,
    Part::ResponseCookies,
];

impl Part {
    fn key(self) -> JsString {
        match self {
            Part::RequestQuerystring => js_string!("querystring"),
            Part::RequestHeaders | Part::ResponseHeaders => js_string!("headers"),
            Part::RequestCookies | Part::ResponseCookies => js_string!("cookies"),
        }
    }
}

/// One entry of a map.
#[derive(Debug, Clone)]
pub enum Entry {
    /// The input's field, not touched by the function.
    Field(Field),
    /// The input's response cookie, not touched by the function.
    Cookie(ResponseCookie),
    /// Read (and so possibly changed in place) or assigned by the function.
    Js(JsValue),
}

impl Entry {
    fn to_js(&self, ctx: &mut Context) -> JsResult<JsValue> {
        Ok(match self {
            Entry::Field(f) => field_object(f, ctx)?.into(),
            Entry::Cookie(c) => cookie_object(c, ctx)?.into(),
            Entry::Js(v) => v.clone(),
        })
    }

    /// The entry's JS value, built on its first read and kept: from then on
    /// the function may change it in place.
    fn read(&mut self, ctx: &mut Context) -> JsResult<JsValue> {
        if !matches!(self, Entry::Js(_)) {
            *self = Entry::Js(self.to_js(ctx)?);
        }
        self.to_js(ctx)
    }
}

type Entries = Vec<(String, Entry)>;

/// A map the function has read: the proxy, its target and handler, and the entries.
#[derive(Debug)]
struct Proxied {
    proxy: JsObject,
    target: JsObject,
    /// This proxy's handler: an empty object that inherits the realm's
    /// traps, until a flush cuts it off from them.
    handler: JsObject,
    entries: Entries,
    /// The entries now live on the target, which the proxy forwards to.
    flushed: bool,
}

#[derive(Debug, Default)]
enum Slot {
    /// Not in this event (a viewer-request event has no response).
    #[default]
    Absent,
    Unread(Entries),
    Proxied(Proxied),
}

/// The current invocation's maps (kept in the engine's invocation state),
/// what the function assigned to each map's property, the objects that
/// carry them, and a viewer-response event's request.
#[derive(Debug, Default)]
pub struct Maps {
    slots: [Slot; 5],
    assigned: [Option<JsValue>; 5],
    owners: Owners,
    /// A viewer-response event's `request`, built on first read.
    request: LazyRequest,
}

/// A viewer-response event's `request`: most viewer-response functions
/// never read it, and it is not part of their result, so it is an accessor
/// on the event (like a map on its parent) that builds it on first read.
#[derive(Debug, Default)]
enum LazyRequest {
    /// Built with the event (viewer-request), or no invocation.
    #[default]
    Eager,
    /// Not read yet: what it is built from.
    Pending {
        method: String,
        uri: String,
        raw_qs: Option<JsObject>,
    },
    /// Read: the object (or what the function assigned).
    Read(JsValue),
}

/// This invocation's event objects that carry the accessors. The accessor
/// functions are shared by every invocation of the realm; an event object
/// of an earlier invocation (reached by a promise job or a finalizer that
/// outlived it) finds nothing through them.
#[derive(Debug, Default)]
struct Owners {
    event: Option<JsObject>,
    request: Option<JsObject>,
    response: Option<JsObject>,
    context: Option<JsObject>,
}

impl Owners {
    fn of(&self, part: Part) -> Option<&JsObject> {
        match part {
            Part::RequestQuerystring | Part::RequestHeaders | Part::RequestCookies => {
                self.request.as_ref()
            }
            Part::ResponseHeaders | Part::ResponseCookies => self.response.as_ref(),
        }
    }
}

/// Whether `this` is `owner` or inherits from it.
fn reaches(this: &JsValue, owner: Option<&JsObject>) -> bool {
    let Some(owner) = owner else {
        return false;
    };
    let mut o = this.as_object();
    while let Some(x) = o {
        if JsObject::equals(&x, owner) {
            return true;
        }
        o = x.prototype();
    }
    false
}

/// This invocation's event objects (see [`Owners`]).
pub struct EventObjects<'a> {
    pub event: &'a JsObject,
    pub context: &'a JsObject,
    pub response: Option<&'a JsObject>,
}

/// A request as [`own_event`] takes it.
pub enum EventRequest {
    /// Built with the event (viewer-request).
    Built(JsObject),
    /// To build on first read (viewer-response, see [`LazyRequest`]).
    Later {
        method: String,
        uri: String,
        raw_qs: Option<JsObject>,
    },
}

/// Record this invocation's event objects (see [`Owners`]) and its request.
pub fn own_event(ctx: &Context, objects: EventObjects<'_>, request: EventRequest) -> JsResult<()> {
    with_maps(ctx, |m| {
        let (built, lazy) = match request {
            EventRequest::Built(r) => (Some(r), LazyRequest::Eager),
            EventRequest::Later {
                method,
                uri,
                raw_qs,
            } => (
                None,
                LazyRequest::Pending {
                    method,
                    uri,
                    raw_qs,
                },
            ),
        };
        m.owners = Owners {
            event: Some(objects.event.clone()),
            request: built,
            response: objects.response.cloned(),
            context: Some(objects.context.clone()),
        };
        m.request = lazy;
    })
}

impl Maps {
    /// The maps of `ev`, all unread.
    pub fn of(ev: &Event) -> Self {
        fn fields(f: &Fields) -> Slot {
            Slot::Unread(
                f.iter()
                    .map(|(n, f)| (n.clone(), Entry::Field(f.clone())))
                    .collect(),
            )
        }
        let mut maps = Maps::default();
        maps.slots[Part::RequestQuerystring as usize] = fields(&ev.request.querystring);
        maps.slots[Part::RequestHeaders as usize] = fields(&ev.request.headers);
        maps.slots[Part::RequestCookies as usize] = fields(&ev.request.cookies);
        if let Some(resp) = &ev.response {
            maps.slots[Part::ResponseHeaders as usize] = fields(&resp.headers);
            maps.slots[Part::ResponseCookies as usize] = Slot::Unread(
                resp.cookies
                    .iter()
                    .map(|(n, c)| (n.clone(), Entry::Cookie(c.clone())))
                    .collect(),
            );
        }
        maps
    }
}

/// Run `f` on the current invocation's maps.
fn with_maps<R>(ctx: &Context, f: impl FnOnce(&mut Maps) -> R) -> JsResult<R> {
    let st = state(ctx)?;
    let mut st = st.borrow_mut();
    Ok(f(&mut st.maps))
}

/// A map as found on the handler's result.
pub enum MapValue {
    /// Something the function put there: read it as any object.
    Js(JsValue),
    /// One of the event's maps, as entries (in JS property order).
    Entries(Entries),
}

/// A realm's accessor functions and proxy handler (frozen with the realm).
#[derive(Debug)]
pub struct MapFunctions {
    get: [JsObject; 5],
    set: [JsObject; 5],
    handler: JsObject,
    proxy_constructor: JsObject,
    /// `context.requestId`'s accessor pair (see [`MapFunctions::install_request_id`]).
    request_id: [JsObject; 2],
    /// A viewer-response event's `request` accessor pair (see [`LazyRequest`]).
    request: [JsObject; 2],
}

const TRAPS: [Trap; 8] = [
    Trap::Get,
    Trap::Set,
    Trap::Has,
    Trap::DeleteProperty,
    Trap::OwnKeys,
    Trap::GetOwnPropertyDescriptor,
    Trap::DefineProperty,
    Trap::PreventExtensions,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trap {
    Get,
    Set,
    Has,
    DeleteProperty,
    OwnKeys,
    GetOwnPropertyDescriptor,
    DefineProperty,
    PreventExtensions,
}

impl Trap {
    /// The handler property (and `Reflect` function) of this trap.
    fn name(self) -> &'static str {
        match self {
            Trap::Get => "get",
            Trap::Set => "set",
            Trap::Has => "has",
            Trap::DeleteProperty => "deleteProperty",
            Trap::OwnKeys => "ownKeys",
            Trap::GetOwnPropertyDescriptor => "getOwnPropertyDescriptor",
            Trap::DefineProperty => "defineProperty",
            Trap::PreventExtensions => "preventExtensions",
        }
    }
}

impl MapFunctions {
    pub fn new(ctx: &mut Context) -> Self {
        let function = |f: NativeFunction, length: usize, ctx: &mut Context| -> JsObject {
            FunctionObjectBuilder::new(ctx.realm(), f)
                .name(js_string!(""))
                .length(length)
                .build()
                .into()
        };
        let get = PARTS.map(|p| {
            function(
                NativeFunction::from_copy_closure(move |this, _, ctx| accessor_get(p, this, ctx)),
                0,
                ctx,
            )
        });
        let set = PARTS.map(|p| {
            function(
                NativeFunction::from_copy_closure(move |this, args, ctx| {
                    let v = args.first().cloned().unwrap_or_default();
                    accessor_set(p, this, v, ctx)
                }),
                1,
                ctx,
            )
        });
        let handler = obj(ctx);
        for trap in TRAPS {
            let f = function(
                NativeFunction::from_copy_closure(move |_, args, ctx| run_trap(trap, args, ctx)),
                3,
                ctx,
            );
            put(&handler, JsString::from(trap.name()), f);
        }
        let proxy_constructor = ctx.intrinsics().constructors().proxy().constructor();
        let request_id = [
            function(NativeFunction::from_fn_ptr(request_id_get), 0, ctx),
            function(NativeFunction::from_fn_ptr(request_id_set), 1, ctx),
        ];
        let request = [
            function(NativeFunction::from_fn_ptr(request_get), 0, ctx),
            function(NativeFunction::from_fn_ptr(request_set), 1, ctx),
        ];
        MapFunctions {
            get,
            set,
            handler,
            proxy_constructor,
            request_id,
            request,
        }
    }

    /// Every object to freeze with the realm.
    pub fn roots(&self) -> impl Iterator<Item = &JsObject> {
        self.get
            .iter()
            .chain(self.set.iter())
            .chain(std::iter::once(&self.handler))
            .chain(self.request_id.iter())
            .chain(self.request.iter())
    }

    /// Put `context.requestId` on `o` as an accessor, like a map's. Reading
    /// it (before any assignment) marks the invocation as depending on
    /// something other than its event (the id is unique per request), which
    /// keeps its result from being replayed (`cloudfront_functions::memo`).
    pub fn install_request_id(&self, o: &JsObject) {
        let [get, set] = &self.request_id;
        install_accessor(o, js_string!("requestId"), get, set);
    }

    /// Put a viewer-response event's `request` on `event` as an accessor.
    pub fn install_request(&self, event: &JsObject) {
        let [get, set] = &self.request;
        install_accessor(event, js_string!("request"), get, set);
    }

    /// Put `part` on `o` as an unread map.
    pub fn install(&self, o: &JsObject, part: Part) {
        install_accessor(
            o,
            part.key(),
            &self.get[part as usize],
            &self.set[part as usize],
        );
    }

    /// What `o[part]` holds on the handler's result, without building a map
    /// the function never read.
    pub fn value(&self, o: &JsObject, part: Part, ctx: &mut Context) -> JsResult<MapValue> {
        let key = PropertyKey::from(part.key());
        let desc = o.borrow().properties().get(&key);
        let accessor = desc
            .as_ref()
            .and_then(|d| d.get().and_then(JsValue::as_object))
            .is_some_and(|g| JsObject::equals(&g, &self.get[part as usize]));
        let v = if accessor {
            match with_maps(ctx, |m| m.assigned[part as usize].clone())? {
                // The map itself, read or not.
                None => return take(ctx, part),
                Some(assigned) => assigned,
            }
        } else {
            match desc.and_then(|d| d.value().cloned()) {
                Some(v) => v,
                None => o.get(key, ctx)?,
            }
        };
        // One of the event's maps, maybe moved from another place.
        if let Some(p) = v.as_object() {
            let owner = with_maps(ctx, |m| {
                PARTS.into_iter().find(|&part| {
                    matches!(&m.slots[part as usize], Slot::Proxied(x) if JsObject::equals(&x.proxy, &p))
                })
            })?;
            if let Some(part) = owner {
                return take(ctx, part);
            }
        }
        Ok(MapValue::Js(v))
    }
}

/// `part`'s entries for the result. An unread map is found at most once
/// (only through its own accessor, which then holds nothing else, and the
/// result reads each key once), so its entries move out. A proxied map's
/// entries are copied: a function may put one map in two places of its
/// result (`request.cookies = request.headers`).
fn take(ctx: &Context, part: Part) -> JsResult<MapValue> {
    with_maps(ctx, |m| match &mut m.slots[part as usize] {
        Slot::Unread(entries) => MapValue::Entries(in_js_order(std::mem::take(entries))),
        Slot::Proxied(p) if p.flushed => MapValue::Js(p.target.clone().into()),
        Slot::Proxied(p) => MapValue::Entries(in_js_order(p.entries.clone())),
        Slot::Absent => MapValue::Js(JsValue::undefined()),
    })
}

/// Entries in the order an object would list them: integer keys first,
/// ascending, then the others in insertion order (a stable sort).
fn in_js_order<T>(mut entries: Vec<(String, T)>) -> Vec<(String, T)> {
    if entries.iter().any(|(n, _)| array_index(n).is_some()) {
        entries.sort_by_key(|(n, _)| array_index(n).map_or((1, 0), |i| (0, i)));
    }
    entries
}

/// `name` as an array index (`"7"`, not `"07"`), which objects list first.
fn array_index(name: &str) -> Option<u32> {
    let i: u32 = name.parse().ok()?;
    (i != u32::MAX && i.to_string() == name).then_some(i)
}

/// A read of a map's property: what was assigned to it, or the map, which
/// becomes a proxy on its first read.
fn accessor_get(part: Part, this: &JsValue, ctx: &mut Context) -> JsResult<JsValue> {
    let (current, assigned) = with_maps(ctx, |m| {
        (
            reaches(this, m.owners.of(part)),
            m.assigned[part as usize].clone(),
        )
    })?;
    if !current {
        return Ok(JsValue::undefined());
    }
    if let Some(v) = assigned {
        return Ok(v);
    }
    let slot = with_maps(ctx, |m| std::mem::take(&mut m.slots[part as usize]))?;
    let proxy = match slot {
        Slot::Unread(entries) => {
            let fns = map_functions(ctx)?;
            let target = obj(ctx);
            let handler = JsObject::from_proto_and_data(fns.handler.clone(), OrdinaryObject);
            let proxy = fns.proxy_constructor.construct(
                &[target.clone().into(), handler.clone().into()],
                None,
                ctx,
            )?;
            with_maps(ctx, |m| {
                m.slots[part as usize] = Slot::Proxied(Proxied {
                    proxy: proxy.clone(),
                    target,
                    handler,
                    entries,
                    flushed: false,
                });
            })?;
            proxy
        }
        Slot::Proxied(p) => {
            let proxy = p.proxy.clone();
            with_maps(ctx, |m| m.slots[part as usize] = Slot::Proxied(p))?;
            proxy
        }
        Slot::Absent => return Ok(JsValue::undefined()),
    };
    Ok(proxy.into())
}

/// An assignment to a map's property.
fn accessor_set(
    part: Part,
    this: &JsValue,
    value: JsValue,
    ctx: &mut Context,
) -> JsResult<JsValue> {
    let owner = |m: &Maps| m.owners.of(part).cloned();
    let setter = |f: &MapFunctions| f.set[part as usize].clone();
    if keeps(this, owner, part.key(), setter, &value, ctx)? {
        with_maps(ctx, |m| m.assigned[part as usize] = Some(value))?;
    }
    Ok(JsValue::undefined())
}

/// Whether an assignment that our accessor `key` (of `owner`, with the
/// setter `setter` picks) receives on `this` is for the accessor to keep.
/// Not on an earlier invocation's object (inert), nor on an object that
/// merely inherits the accessor or a frozen owner: see [`assign_own`].
fn keeps(
    this: &JsValue,
    owner: impl Fn(&Maps) -> Option<JsObject>,
    key: JsString,
    setter: impl Fn(&MapFunctions) -> JsObject,
    value: &JsValue,
    ctx: &mut Context,
) -> JsResult<bool> {
    if !with_maps(ctx, |m| reaches(this, owner(m).as_ref()))? {
        return Ok(false);
    }
    let setter = setter(&*map_functions(ctx)?);
    match this.as_object() {
        Some(t) => Ok(!assign_own(&t, key, &setter, value, ctx)?),
        None => Ok(true),
    }
}

/// What a plain data property would do on an assignment that our accessor
/// `setter` receives instead: on an object that inherits the accessor,
/// define an own data property (`true`); on a frozen parent, throw as a
/// strict-mode assignment to a read-only property does. `false`: the
/// accessor's own parent, which keeps the value.
fn assign_own(
    t: &JsObject,
    key: JsString,
    setter: &JsObject,
    value: &JsValue,
    ctx: &mut Context,
) -> JsResult<bool> {
    let key = PropertyKey::from(key);
    let own = t.borrow().properties().get(&key);
    let ours = own
        .as_ref()
        .and_then(|d| d.set().and_then(JsValue::as_object))
        .is_some_and(|s| JsObject::equals(&s, setter));
    if !ours {
        t.define_property_or_throw(key, data_property(value.clone()), ctx)?;
        return Ok(true);
    }
    if !t.is_extensible(ctx)? && frozen(t, ctx)? {
        return Err(JsNativeError::typ()
            .with_message("Cannot assign to read only property of a frozen object")
            .into());
    }
    Ok(false)
}

/// `Object.isFrozen(t)` for a non-extensible `t`: every own property
/// non-configurable and every data property read-only (a sealed object
/// keeps its data properties writable).
fn frozen(t: &JsObject, ctx: &mut Context) -> JsResult<bool> {
    for key in t.own_property_keys(ctx)? {
        if let Some(d) = t.borrow().properties().get(&key) {
            if d.configurable() != Some(false)
                || (d.is_data_descriptor() && d.writable() != Some(false))
            {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// A read of `context.requestId`: what was assigned to it, or the id, which
/// marks the invocation as depending on more than its event.
fn request_id_get(this: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let st = state(ctx)?;
    let mut st = st.borrow_mut();
    if !reaches(this, st.maps.owners.context.as_ref()) {
        return Ok(JsValue::undefined());
    }
    if let Some(v) = &st.request_id_value {
        return Ok(v.clone());
    }
    st.nondeterministic = true;
    Ok(JsString::from(st.request_id.as_str()).into())
}

/// An assignment to `context.requestId`.
fn request_id_set(this: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let value = arg(args, 0);
    let owner = |m: &Maps| m.owners.context.clone();
    let setter = |f: &MapFunctions| f.request_id[1].clone();
    if keeps(this, owner, js_string!("requestId"), setter, &value, ctx)? {
        state(ctx)?.borrow_mut().request_id_value = Some(value);
    }
    Ok(JsValue::undefined())
}

/// Put `key` on `o` as an enumerable, configurable accessor.
fn install_accessor(o: &JsObject, key: JsString, get: &JsObject, set: &JsObject) {
    o.insert_property(
        key,
        PropertyDescriptor::builder()
            .get(get.clone())
            .set(set.clone())
            .enumerable(true)
            .configurable(true),
    );
}

/// A read of a viewer-response event's `request`: what was assigned to it,
/// or the request, built on its first read.
fn request_get(this: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let (method, uri, raw_qs) = {
        let st = state(ctx)?;
        let mut st = st.borrow_mut();
        if !reaches(this, st.maps.owners.event.as_ref()) {
            return Ok(JsValue::undefined());
        }
        match &mut st.maps.request {
            LazyRequest::Read(v) => return Ok(v.clone()),
            LazyRequest::Eager => return Ok(JsValue::undefined()),
            LazyRequest::Pending {
                method,
                uri,
                raw_qs,
            } => (std::mem::take(method), std::mem::take(uri), raw_qs.take()),
        }
    };
    let fns = map_functions(ctx)?;
    let r = request_object(&method, &uri, raw_qs.as_ref(), &fns, ctx);
    with_maps(ctx, |m| {
        m.owners.request = Some(r.clone());
        m.request = LazyRequest::Read(r.clone().into());
    })?;
    Ok(r.into())
}

/// An assignment to a viewer-response event's `request`.
fn request_set(this: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let value = arg(args, 0);
    let owner = |m: &Maps| m.owners.event.clone();
    let setter = |f: &MapFunctions| f.request[1].clone();
    if keeps(this, owner, js_string!("request"), setter, &value, ctx)? {
        with_maps(ctx, |m| m.request = LazyRequest::Read(value))?;
    }
    Ok(JsValue::undefined())
}

/// The event's `request` object: method, uri, the three maps (unread) and,
/// in 2.0, `rawQueryString`.
pub(super) fn request_object(
    method: &str,
    uri: &str,
    raw_qs: Option<&JsObject>,
    maps: &MapFunctions,
    ctx: &mut Context,
) -> JsObject {
    let r = obj(ctx);
    put(&r, js_string!("method"), JsString::from(method));
    put(&r, js_string!("uri"), JsString::from(uri));
    maps.install(&r, Part::RequestQuerystring);
    maps.install(&r, Part::RequestHeaders);
    maps.install(&r, Part::RequestCookies);
    if let Some(f) = raw_qs {
        r.insert_property(
            js_string!("rawQueryString"),
            PropertyDescriptor::builder()
                .value(f.clone())
                .writable(true)
                .enumerable(false)
                .configurable(true),
        );
    }
    r
}

/// The current realm's map functions.
fn map_functions(ctx: &Context) -> JsResult<Rc<MapFunctions>> {
    state(ctx)?.borrow().map_functions.clone().ok_or_else(|| {
        JsNativeError::error()
            .with_message("no invocation in progress")
            .into()
    })
}

fn arg(args: &[JsValue], i: usize) -> JsValue {
    args.get(i).cloned().unwrap_or_default()
}

/// Which map `target` belongs to, if it is a live (not flushed) one.
fn live_map(ctx: &Context, target: &JsObject) -> JsResult<Option<Part>> {
    with_maps(ctx, |m| {
        PARTS.into_iter().find(|&part| {
            matches!(&m.slots[part as usize], Slot::Proxied(x) if !x.flushed && JsObject::equals(&x.target, target))
        })
    })
}

fn run_trap(trap: Trap, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let target = arg(args, 0)
        .as_object()
        .ok_or_else(|| JsNativeError::typ().with_message("proxy target is not an object"))?;
    let key = arg(args, 1);
    // The hot paths (one entry read, tested or assigned) borrow the state
    // once and find the entry without copying the key out of JS.
    if let (Trap::Get | Trap::Has | Trap::Set, Some(k)) = (trap, key.as_string()) {
        let st = state(ctx)?;
        let mut st = st.borrow_mut();
        let Some(p) = live_proxied(&mut st.maps, &target) else {
            drop(st);
            return reflect(trap, args, ctx);
        };
        let found = p.entries.iter_mut().find(|(n, _)| same_name(&k, n));
        // An assignment through an object that inherits from the map
        // (`Object.create(headers).host = v`) lands on that object, as it
        // would with a plain map.
        let receiver = arg(args, 3);
        if trap == Trap::Set
            && !receiver
                .as_object()
                .is_some_and(|r| JsObject::equals(&r, &p.proxy))
        {
            let has = found.is_some();
            drop(st);
            return set_on_receiver(has, args, ctx);
        }
        return match (trap, found) {
            // Building plain objects runs no native helper, so the state may
            // stay borrowed while it does.
            (Trap::Get, Some((_, entry))) => entry.read(ctx),
            (Trap::Has, Some(_)) => Ok(true.into()),
            (Trap::Set, Some((_, entry))) => {
                *entry = Entry::Js(arg(args, 2));
                Ok(true.into())
            }
            (Trap::Set, None) => {
                p.entries
                    .push((super::rust_string(&k), Entry::Js(arg(args, 2))));
                Ok(true.into())
            }
            // Not an entry: the target (with the map's prototype) answers.
            _ => {
                drop(st);
                let key = key.to_property_key(ctx)?;
                if trap == Trap::Get {
                    target.get(key, ctx)
                } else {
                    Ok(target.has_property(key, ctx)?.into())
                }
            }
        };
    }
    let Some(part) = live_map(ctx, &target)? else {
        return reflect(trap, args, ctx);
    };
    let name = key.as_string().map(|k| super::rust_string(&k));
    match (trap, name) {
        // Listing the keys (`for...in`, `Object.keys`, spread, `JSON.stringify`)
        // is followed by reading every entry's descriptor or value: the map
        // becomes a plain object first, so that those reads are ordinary
        // property reads rather than one trap each.
        (Trap::OwnKeys, _) => {
            flush(ctx, part, &target)?;
            reflect(trap, args, ctx)
        }
        (Trap::GetOwnPropertyDescriptor, Some(name)) => match entry_value(ctx, part, &name)? {
            Some(v) => {
                let d = obj(ctx);
                put(&d, js_string!("value"), v);
                put(&d, js_string!("writable"), true);
                put(&d, js_string!("enumerable"), true);
                put(&d, js_string!("configurable"), true);
                Ok(d.into())
            }
            None => Ok(JsValue::undefined()),
        },
        (Trap::DeleteProperty, Some(name)) => {
            with_maps(ctx, |m| {
                if let Slot::Proxied(p) = &mut m.slots[part as usize] {
                    p.entries.retain(|(n, _)| *n != name);
                }
            })?;
            Ok(true.into())
        }
        // Reading or deleting a symbol key: the target (with the map's
        // prototype) answers, as it would for a plain object.
        (Trap::Get | Trap::Has | Trap::GetOwnPropertyDescriptor | Trap::DeleteProperty, _) => {
            reflect(trap, args, ctx)
        }
        // Setting a symbol key, defineProperty, preventExtensions: become a
        // plain object first.
        (Trap::Set | Trap::DefineProperty | Trap::PreventExtensions, _) => {
            flush(ctx, part, &target)?;
            reflect(trap, args, ctx)
        }
    }
}

/// The target of `proxy` when it is one of this invocation's maps after a
/// flush: it forwards every operation to that target without a trap, so
/// the target answers for it (used by `for…in`, see `for_in.rs`).
pub(super) fn flushed_target(ctx: &Context, proxy: &JsObject) -> Option<JsObject> {
    let st = state(ctx).ok()?;
    let st = st.borrow();
    st.maps.slots.iter().find_map(|slot| match slot {
        Slot::Proxied(p) if p.flushed && JsObject::equals(&p.proxy, proxy) => {
            Some(p.target.clone())
        }
        _ => None,
    })
}

/// `Reflect.set` for an assignment that reaches the map from an object
/// inheriting from it: when the map has the entry (a writable data
/// property on a plain map), through a stand-in that has it, so that the
/// receiver gets its own property; when not, through the target.
fn set_on_receiver(has: bool, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    if !has {
        return reflect(Trap::Set, args, ctx);
    }
    let key = arg(args, 1).to_property_key(ctx)?;
    let holder = obj(ctx);
    holder.insert_property(key, data_property(JsValue::undefined()));
    let mut args = args.to_vec();
    if let Some(first) = args.first_mut() {
        *first = holder.into();
    }
    reflect(Trap::Set, &args, ctx)
}

/// The live (not flushed) map whose proxy target is `target`.
fn live_proxied<'m>(m: &'m mut Maps, target: &JsObject) -> Option<&'m mut Proxied> {
    m.slots.iter_mut().find_map(|slot| match slot {
        Slot::Proxied(p) if !p.flushed && JsObject::equals(&p.target, target) => Some(p),
        _ => None,
    })
}

/// Whether JS string `k` is `name`, without copying `k` when it is ASCII
/// (every header, cookie and query-parameter name a browser sends).
fn same_name(k: &JsString, name: &str) -> bool {
    match k.as_str().variant() {
        boa_engine::string::JsStrVariant::Latin1(bytes) if bytes.is_ascii() => {
            bytes == name.as_bytes()
        }
        _ => super::rust_string(k) == name,
    }
}

/// The JS value of entry `name`, built on first read.
fn entry_value(ctx: &mut Context, part: Part, name: &str) -> JsResult<Option<JsValue>> {
    // Building plain objects runs no native helper, so the state may stay
    // borrowed while it does.
    let st = state(ctx)?;
    let mut st = st.borrow_mut();
    let Slot::Proxied(p) = &mut st.maps.slots[part as usize] else {
        return Ok(None);
    };
    let Some((_, entry)) = p.entries.iter_mut().find(|(n, _)| n == name) else {
        return Ok(None);
    };
    entry.read(ctx).map(Some)
}

/// Move every entry onto the target. The proxy's handler loses the realm's
/// traps, so from now on the proxy forwards every operation to the target
/// without calling a trap: it behaves, and costs, as a plain object.
fn flush(ctx: &mut Context, part: Part, target: &JsObject) -> JsResult<()> {
    let entries = with_maps(ctx, |m| match &mut m.slots[part as usize] {
        Slot::Proxied(p) => {
            p.flushed = true;
            p.handler.set_prototype(None);
            std::mem::take(&mut p.entries)
        }
        _ => Vec::new(),
    })?;
    for (name, entry) in in_js_order(entries) {
        let v = entry.to_js(ctx)?;
        target.insert_property(JsString::from(name.as_str()), data_property(v));
    }
    Ok(())
}

/// Do what the proxy would do without the trap: `Reflect[trap](...args)`.
fn reflect(trap: Trap, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let reflect = ctx.intrinsics().objects().reflect();
    let f = reflect.get(JsString::from(trap.name()), ctx)?;
    let f = f
        .as_callable()
        .ok_or_else(|| JsNativeError::typ().with_message("Reflect is incomplete"))?;
    f.call(&JsValue::undefined(), args, ctx)
}
