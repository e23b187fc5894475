//! The board's and the calendar's moves. The pages themselves are not hydrated: one small island
//! per page reads the cards from the server's HTML and does what needs the browser: the mouse's
//! drag and drop, the keyboard's pick up, move, drop and Escape, every step said in the page's
//! live region. The move itself is the card's own plain form ("Move" in its menu, the no-script
//! way), filled in and sent, so the island carries no server-function client; the page comes
//! back from the server with the move made, and says the drop again and gives the focus back to
//! the card's handle.

use leptos::prelude::*;

/// Which page's cards move.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Surface {
    /// Columns by status; a card lands at a place among the column's cards.
    Board,
    /// Days; a task lands on a day (its due date).
    Calendar,
}

/// The board's moves.
#[island]
pub fn BoardMoves() -> impl IntoView {
    moves(Surface::Board)
}

/// The calendar's moves.
#[island]
pub fn CalendarMoves() -> impl IntoView {
    moves(Surface::Calendar)
}

fn moves(surface: Surface) {
    let t = crate::use_t();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::install(surface, t);
        #[cfg(not(feature = "hydrate"))]
        let _ = (surface, t);
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::{cell::RefCell, rc::Rc};

    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{
        Element, HtmlElement, HtmlFormElement, HtmlInputElement, HtmlSelectElement,
    };

    use super::Surface;
    use crate::elements as all;
    use crate::i18n::T;

    /// What the page says and where the focus goes once the move's post has come back.
    const AFTER_MOVE: &str = "bastion-moved";

    /// A column and the place in it (board), or a day (calendar, `slot` unused).
    #[derive(Clone, Copy, PartialEq, Eq)]
    struct Spot {
        place: usize,
        slot: usize,
    }

    #[derive(Clone)]
    struct Carry {
        id: String,
        key: String,
        from: Spot,
        target: Spot,
        keyboard: bool,
    }

    /// Per column its status (board) or per day its date (calendar), and its cards (id, key).
    type Layout = Vec<(String, Vec<(String, String)>)>;

    #[derive(Clone, Copy)]
    enum Say {
        PickedUp,
        MovedTo,
        Dropped,
        Cancelled,
    }

    impl Surface {
        fn root(self) -> &'static str {
            match self {
                Surface::Board => ".board",
                Surface::Calendar => "table.calendar",
            }
        }

        fn place(self) -> &'static str {
            match self {
                Surface::Board => "section.column",
                Surface::Calendar => "td[data-day]",
            }
        }

        fn place_name(self) -> &'static str {
            match self {
                Surface::Board => "data-status",
                Surface::Calendar => "data-day",
            }
        }

        fn card(self) -> &'static str {
            match self {
                Surface::Board => "li.task-card",
                Surface::Calendar => "li.calendar-task",
            }
        }

        fn live(self) -> &'static str {
            match self {
                Surface::Board => "[data-testid=board-live]",
                Surface::Calendar => "[data-testid=calendar-live]",
            }
        }

        fn handle_id(self, id: &str) -> String {
            match self {
                Surface::Board => format!("drag-{id}"),
                Surface::Calendar => format!("cal-{id}"),
            }
        }
    }

    fn root(surface: Surface) -> Option<Element> {
        document().query_selector(surface.root()).ok().flatten()
    }

    fn layout(surface: Surface, root: &Element) -> Layout {
        all(root, surface.place())
            .into_iter()
            .map(|place| {
                let cards = all(&place, surface.card())
                    .into_iter()
                    .map(|card| {
                        let key = card
                            .query_selector(".task-key")
                            .ok()
                            .flatten()
                            .and_then(|k| k.text_content())
                            .unwrap_or_default();
                        (card.get_attribute("data-id").unwrap_or_default(), key)
                    })
                    .collect();
                (
                    place
                        .get_attribute(surface.place_name())
                        .unwrap_or_default(),
                    cards,
                )
            })
            .collect()
    }

    /// The cards of `place` other than the one moving.
    fn others(layout: &Layout, place: usize, moving: &str) -> Vec<(String, String)> {
        layout
            .get(place)
            .map(|(_, cards)| {
                cards
                    .iter()
                    .filter(|(id, _)| id != moving)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    fn sentence(surface: Surface, t: T, layout: &Layout, c: &Carry, say: Say) -> String {
        let spot = match say {
            Say::Cancelled => c.from,
            _ => c.target,
        };
        match surface {
            Surface::Board => {
                let count = others(layout, spot.place, &c.id).len() + 1;
                let status = layout
                    .get(spot.place)
                    .map(|p| p.0.as_str())
                    .unwrap_or_default();
                let column = crate::work::status_word(t, status);
                let position = spot.slot + 1;
                match say {
                    Say::PickedUp => t.board_picked_up(&c.key, column, position, count),
                    Say::MovedTo => t.board_moved_to(&c.key, column, position, count),
                    Say::Dropped => t.board_dropped(&c.key, column, position, count),
                    Say::Cancelled => t.board_cancelled(&c.key, column, position, count),
                }
            }
            Surface::Calendar => {
                let days: Vec<String> = layout.iter().map(|p| p.0.clone()).collect();
                let day = crate::work::calendar::spoken_day(t, &days, spot.place);
                match say {
                    Say::PickedUp => t.calendar_picked_up(&c.key, &day),
                    Say::MovedTo => t.calendar_moved_to(&c.key, &day),
                    Say::Dropped => t.calendar_dropped(&c.key, &day),
                    Say::Cancelled => t.calendar_cancelled(&c.key, &day),
                }
            }
        }
    }

    fn announce(surface: Surface, text: &str) {
        if let Ok(Some(live)) = document().query_selector(surface.live()) {
            live.set_text_content(Some(text));
        }
    }

    /// The classes that show the move: the card carried, where it would land, the handle pressed.
    fn paint(surface: Surface, root: &Element, layout: &Layout, carry: Option<&Carry>) {
        for class in ["moving", "drop-before", "drop-end", "drop-target"] {
            for el in all(root, &format!(".{class}")) {
                let _ = el.class_list().remove_1(class);
            }
        }
        for handle in all(root, ".drag-handle") {
            let _ = handle.set_attribute("aria-pressed", "false");
        }
        let _ = root
            .class_list()
            .toggle_with_force("dragging", carry.is_some());
        let Some(c) = carry else {
            return;
        };
        let card = |id: &str| {
            all(root, surface.card())
                .into_iter()
                .find(|card| card.get_attribute("data-id").as_deref() == Some(id))
        };
        if let Some(card) = card(&c.id) {
            let _ = card.class_list().add_1("moving");
            if let Ok(Some(handle)) = card.query_selector(".drag-handle") {
                let _ = handle.set_attribute("aria-pressed", "true");
            }
        }
        let places = all(root, surface.place());
        match surface {
            Surface::Board => {
                let rest = others(layout, c.target.place, &c.id);
                match rest.get(c.target.slot) {
                    Some((before, _)) => {
                        if let Some(card) = card(before) {
                            let _ = card.class_list().add_1("drop-before");
                        }
                    }
                    None => {
                        if let Some(place) = places.get(c.target.place) {
                            let _ = place.class_list().add_1("drop-end");
                        }
                    }
                }
            }
            Surface::Calendar => {
                if c.target != c.from {
                    if let Some(place) = places.get(c.target.place) {
                        let _ = place.class_list().add_1("drop-target");
                    }
                }
            }
        }
    }

    /// Where a card is now.
    fn spot_of(layout: &Layout, id: &str) -> Option<Spot> {
        layout.iter().enumerate().find_map(|(place, (_, cards))| {
            cards
                .iter()
                .position(|(card, _)| card == id)
                .map(|slot| Spot { place, slot })
        })
    }

    struct State {
        surface: Surface,
        t: T,
        root: Element,
        layout: Layout,
        carry: Option<Carry>,
    }

    impl State {
        fn start(&mut self, card: &Element, keyboard: bool) -> Option<Carry> {
            let id = card.get_attribute("data-id")?;
            let from = spot_of(&self.layout, &id)?;
            let key = self.layout[from.place].1[from.slot].1.clone();
            let c = Carry {
                id,
                key,
                from,
                target: from,
                keyboard,
            };
            self.carry = Some(c.clone());
            self.paint();
            Some(c)
        }

        fn paint(&self) {
            paint(self.surface, &self.root, &self.layout, self.carry.as_ref());
        }

        fn say(&self, c: &Carry, say: Say) {
            announce(
                self.surface,
                &sentence(self.surface, self.t, &self.layout, c, say),
            );
        }

        fn cancel(&mut self) {
            if let Some(c) = self.carry.take() {
                self.paint();
                self.say(&c, Say::Cancelled);
            }
        }

        /// Puts the carried card down where it is: nothing to send when that is where it was;
        /// otherwise its move form, filled in, is sent.
        fn put_down(&mut self) {
            let Some(c) = self.carry.take() else {
                return;
            };
            self.paint();
            let said = sentence(self.surface, self.t, &self.layout, &c, Say::Dropped);
            announce(self.surface, &said);
            if c.target == c.from {
                return;
            }
            let Some(form) = all(&self.root, self.surface.card())
                .into_iter()
                .find(|card| card.get_attribute("data-id").as_deref() == Some(c.id.as_str()))
                .and_then(|card| card.query_selector("form.move-form").ok().flatten())
                .and_then(|f| f.dyn_into::<HtmlFormElement>().ok())
            else {
                return;
            };
            let Some(place) = self.layout.get(c.target.place).map(|p| p.0.clone()) else {
                return;
            };
            match self.surface {
                Surface::Board => {
                    if let Some(select) = form
                        .query_selector("select[name=status]")
                        .ok()
                        .flatten()
                        .and_then(|s| s.dyn_into::<HtmlSelectElement>().ok())
                    {
                        select.set_value(&place);
                    }
                    let rest = others(&self.layout, c.target.place, &c.id);
                    let (name, next_to) = match c.target.slot {
                        0 => ("before", rest.first()),
                        n => ("after", rest.get(n - 1)),
                    };
                    for old in all(&form, "input[name=after], input[name=before]") {
                        old.remove();
                    }
                    if let Some((next_to, _)) = next_to {
                        if let Some(input) = document()
                            .create_element("input")
                            .ok()
                            .and_then(|i| i.dyn_into::<HtmlInputElement>().ok())
                        {
                            input.set_type("hidden");
                            input.set_name(name);
                            input.set_value(next_to);
                            let _ = form.append_child(&input);
                        }
                    }
                }
                Surface::Calendar => {
                    if let Some(input) = form
                        .query_selector("input[name=due_on]")
                        .ok()
                        .flatten()
                        .and_then(|i| i.dyn_into::<HtmlInputElement>().ok())
                    {
                        input.set_value(&place);
                    }
                }
            }
            if let Some(storage) = window().session_storage().ok().flatten() {
                let after = serde_json::to_string(&(said, self.surface.handle_id(&c.id)))
                    .unwrap_or_default();
                let _ = storage.set_item(AFTER_MOVE, &after);
            }
            let _ = form.request_submit();
        }

        fn key(&mut self, ev: &leptos::ev::KeyboardEvent, card: &Element) {
            let id = card.get_attribute("data-id").unwrap_or_default();
            let key = ev.key();
            let Some(mut c) = self.carry.clone().filter(|c| c.id == id && c.keyboard) else {
                if key == " " || key == "Enter" {
                    ev.prevent_default();
                    if let Some(c) = self.start(card, true) {
                        self.say(&c, Say::PickedUp);
                    }
                }
                return;
            };
            let places = self.layout.len();
            let room = |c: &Carry, place: usize| others(&self.layout, place, &c.id).len();
            match (self.surface, key.as_str()) {
                (_, " " | "Enter") => {
                    ev.prevent_default();
                    self.put_down();
                    return;
                }
                (_, "Escape") => {
                    ev.prevent_default();
                    self.cancel();
                    return;
                }
                (Surface::Board, "ArrowUp") => c.target.slot = c.target.slot.saturating_sub(1),
                (Surface::Board, "ArrowDown") => {
                    c.target.slot = (c.target.slot + 1).min(room(&c, c.target.place))
                }
                (Surface::Board, "ArrowLeft") if c.target.place > 0 => {
                    c.target.place -= 1;
                    c.target.slot = c.target.slot.min(room(&c, c.target.place));
                }
                (Surface::Board, "ArrowRight") if c.target.place + 1 < places => {
                    c.target.place += 1;
                    c.target.slot = c.target.slot.min(room(&c, c.target.place));
                }
                (Surface::Calendar, "ArrowLeft") => {
                    c.target.place = c.target.place.saturating_sub(1)
                }
                (Surface::Calendar, "ArrowRight") => {
                    c.target.place = (c.target.place + 1).min(places.saturating_sub(1))
                }
                (Surface::Calendar, "ArrowUp") => {
                    c.target.place = c.target.place.checked_sub(7).unwrap_or(c.target.place)
                }
                (Surface::Calendar, "ArrowDown") if c.target.place + 7 < places => {
                    c.target.place += 7
                }
                (_, "ArrowDown" | "ArrowLeft" | "ArrowRight") => {}
                _ => return,
            }
            ev.prevent_default();
            self.say(&c, Say::MovedTo);
            self.carry = Some(c);
            self.paint();
        }

        /// The mouse over a place: where the card would land there (on the board, by the
        /// pointer's height against the middle of each other card).
        fn over(&mut self, ev: &leptos::ev::DragEvent, place: &Element) {
            let Some(mut c) = self.carry.clone().filter(|c| !c.keyboard) else {
                return;
            };
            // Accepting the drop is preventing the default of `dragover`.
            ev.prevent_default();
            let Some(index) = all(&self.root, self.surface.place())
                .iter()
                .position(|p| p == place)
            else {
                return;
            };
            let slot = match self.surface {
                Surface::Board => {
                    let y = f64::from(ev.client_y());
                    all(place, self.surface.card())
                        .into_iter()
                        .filter(|card| card.get_attribute("data-id").as_deref() != Some(&c.id))
                        .filter(|card| {
                            let rect = card.get_bounding_client_rect();
                            rect.top() + rect.height() / 2.0 < y
                        })
                        .count()
                }
                Surface::Calendar => 0,
            };
            let target = Spot { place: index, slot };
            if c.target != target {
                c.target = target;
                self.carry = Some(c);
                self.paint();
            }
        }
    }

    /// The element under the event that matches `selector`, inside the page's cards.
    fn closest(ev: &leptos::web_sys::Event, root: &Element, selector: &str) -> Option<Element> {
        let el = ev.target()?.dyn_into::<Element>().ok()?;
        let found = el.closest(selector).ok().flatten()?;
        root.contains(Some(&found)).then_some(found)
    }

    pub fn install(surface: Surface, t: T) {
        let Some(root) = root(surface) else {
            return;
        };
        // The handles and dragging exist only where the card has its move form (who may move).
        for card in all(&root, surface.card()) {
            if card
                .query_selector("form.move-form")
                .ok()
                .flatten()
                .is_some()
            {
                let _ = card.set_attribute("draggable", "true");
                if let Ok(Some(handle)) = card.query_selector(".drag-handle") {
                    let _ = handle.remove_attribute("hidden");
                }
            }
        }
        let state = Rc::new(RefCell::new(State {
            surface,
            t,
            layout: layout(surface, &root),
            root: root.clone(),
            carry: None,
        }));

        {
            let (state, root) = (state.clone(), root.clone());
            let _ = window_event_listener(leptos::ev::dragstart, move |ev| {
                let Some(card) = closest(&ev, &root, surface.card()) else {
                    return;
                };
                if card.get_attribute("draggable").as_deref() != Some("true") {
                    return;
                }
                if let Some(c) = state.borrow_mut().start(&card, false) {
                    if let Some(data) = ev.data_transfer() {
                        data.set_effect_allowed("move");
                        let _ = data.set_data("text/plain", &c.key);
                    }
                }
            });
        }
        {
            let (state, root) = (state.clone(), root.clone());
            let _ = window_event_listener(leptos::ev::dragover, move |ev| {
                if let Some(place) = closest(&ev, &root, surface.place()) {
                    state.borrow_mut().over(&ev, &place);
                }
            });
        }
        {
            let (state, root) = (state.clone(), root.clone());
            let _ = window_event_listener(leptos::ev::drop, move |ev| {
                if closest(&ev, &root, surface.place()).is_none() {
                    return;
                }
                ev.prevent_default();
                let mut state = state.borrow_mut();
                if state.carry.as_ref().is_some_and(|c| !c.keyboard) {
                    state.put_down();
                }
            });
        }
        {
            let state = state.clone();
            let _ = window_event_listener(leptos::ev::dragend, move |_| {
                let mut state = state.borrow_mut();
                if state.carry.as_ref().is_some_and(|c| !c.keyboard) {
                    state.carry = None;
                    state.paint();
                }
            });
        }
        {
            let (state, root) = (state.clone(), root.clone());
            let _ = window_event_listener(leptos::ev::keydown, move |ev| {
                if closest(&ev, &root, ".drag-handle").is_none() {
                    return;
                }
                if let Some(card) = closest(&ev, &root, surface.card()) {
                    state.borrow_mut().key(&ev, &card);
                }
            });
        }
        {
            // Leaving the handle while carrying the card puts it back.
            let (state, root) = (state.clone(), root.clone());
            let _ = window_event_listener(leptos::ev::focusout, move |ev| {
                if closest(&ev, &root, ".drag-handle").is_none() {
                    return;
                }
                let Some(card) = closest(&ev, &root, surface.card()) else {
                    return;
                };
                let mut state = state.borrow_mut();
                let id = card.get_attribute("data-id");
                if state
                    .carry
                    .as_ref()
                    .is_some_and(|c| c.keyboard && Some(&c.id) == id.as_ref())
                {
                    state.cancel();
                }
            });
        }

        // Back from a move's post: say where the card went and give its handle the focus.
        let storage = window().session_storage().ok().flatten();
        if let Some(after) = storage
            .as_ref()
            .and_then(|s| s.get_item(AFTER_MOVE).ok().flatten())
        {
            if let Some(s) = &storage {
                let _ = s.remove_item(AFTER_MOVE);
            }
            if let Ok((said, handle)) = serde_json::from_str::<(String, String)>(&after) {
                announce(surface, &said);
                if let Some(handle) = document()
                    .get_element_by_id(&handle)
                    .and_then(|h| h.dyn_into::<HtmlElement>().ok())
                {
                    let _ = handle.focus();
                }
            }
        }
    }
}
