"""Sample inputs for the evaluation of the Data Agent, built at run time (nothing large is committed).

Kinds (`make_all` returns {kind: path}):

- math: question, solution, answer, id (generated problems with planted duplicates and junk; see mathqa.py).
- web: text, html, source (paragraphs of the Python standard library's docstrings and comments, so the
  heuristic filters see natural language; every tenth row is repeated).
- instruct: instruction, output (the math problems as instruction pairs).
- chat: id, customer_message, agent_reply, rating (int 1-5), topic. Customer-support turns written for
  this set: some exact and near duplicates, e-mail addresses, phone and card numbers, very short turns
  and two messages not in English.
- multilingual: id, text. Short everyday sentences in English, French, German and Spanish, a few in
  Italian, Portuguese, Dutch, Polish, Swedish, Turkish and Japanese; no language column.
- pdf: a directory of small PDFs (several pages each, distinct text per page, one in French, one page
  with contact details, one nearly empty page), written with matplotlib's PDF backend. Read with
  read_pdf, rows have path, page, n_pages, title, text.
- code: code, path. Real top-level functions from the Python standard library's sources (a few repeated).
- reviews: review, stars (int 1-5), product. Product reviews written for this set: duplicates, spam,
  repeated words, very short reviews, contact details, odd Unicode and a few not in English.
"""

from __future__ import annotations

import ast
import html
import json
import sysconfig
import textwrap
from pathlib import Path

from tilth.agent.eval.mathqa import make_math_qa

# The columns each kind's rows have (for the pdf kind: the columns read_pdf gives).
FIXTURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "math": ("question", "solution", "answer", "id"),
    "web": ("text", "html", "source"),
    "instruct": ("instruction", "output"),
    "chat": ("id", "customer_message", "agent_reply", "rating", "topic"),
    "multilingual": ("id", "text"),
    "pdf": ("path", "page", "n_pages", "title", "text"),
    "code": ("code", "path"),
    "reviews": ("review", "stars", "product"),
}


def stdlib_paragraphs(n: int, min_chars: int = 80) -> list[str]:
    out: list[str] = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        for para in path.read_text(encoding="utf-8", errors="replace").split("\n\n"):
            para = " ".join(para.strip().strip('"').split())
            if len(para) >= min_chars and para[0].isalpha():
                out.append(para)
                if len(out) >= n:
                    return out
    return out


def make_web(path: Path, n: int = 120) -> Path:
    paras = stdlib_paragraphs(n)
    with open(path, "w") as f:
        for i, p in enumerate(paras):
            row = {"text": p, "html": f"<html><head><title>doc {i}</title></head><body><nav>home</nav>"
                   f"<article><p>{html.escape(p)}</p></article></body></html>", "source": f"s{i % 3}"}
            f.write(json.dumps(row) + "\n")
            if i % 10 == 0:
                f.write(json.dumps(row) + "\n")
    return path


def make_instruct(path: Path, n: int = 80) -> Path:
    tmp = path.with_suffix(".math.jsonl")
    make_math_qa(tmp, n=n)
    with open(tmp) as src, open(path, "w") as f:
        for line in src:
            r = json.loads(line)
            f.write(json.dumps({"instruction": r["question"], "output": r["solution"] or r["answer"]}) + "\n")
    tmp.unlink()
    return path


# --- chat: customer support turns (topic, customer message, agent reply, rating) ---------------------

CHAT = [
    ("billing", "Hi, I was charged twice for my March invoice. Can you refund the second payment?",
     "Sorry about that! I can see the duplicate charge of $24.99. I've issued a refund; it should reach your card in 3-5 business days.", 5),
    ("billing", "Why did my subscription price go up from 9.99 to 12.99 without any notice??",
     "Prices changed on 1 May and we emailed all customers in April. I understand it's frustrating. I can move you to the annual plan, which works out cheaper per month.", 2),
    ("billing", "Can I get an invoice with my company VAT number on it? Send it to anna.kowalski@brightpath.pl please",
     "Of course. I've added the VAT number to your account and re-sent the invoice to the address you gave.", 5),
    ("billing", "I cancelled last month but you still took money from my account. This is theft.",
     "I checked and the cancellation went through on the 14th, after the renewal on the 12th. As a one-off I've refunded this month in full.", 3),
    ("billing", "how do i change my card",
     "Go to Settings > Billing > Payment method and click 'Replace card'. The new card is used from your next payment.", 4),
    ("billing", "Do you accept PayPal?",
     "Not at the moment, sorry. We accept Visa, Mastercard, American Express and bank transfer for annual plans.", 3),
    ("billing", "My card 4111 1111 1111 1111 was declined but I have money on it. What's going on?",
     "Please don't share full card numbers in chat. Declines usually come from the bank's fraud check; could you try again or call your bank?", 3),
    ("billing", "The discount code SPRING20 doesn't work at checkout.",
     "That code expired on 31 March. I've applied a 15% discount to your next order instead as a goodwill gesture.", 4),
    ("shipping", "Where is my order #58213? It was supposed to arrive on Monday.",
     "Your parcel is with the courier and was delayed at the regional depot. The new delivery estimate is Thursday.", 3),
    ("shipping", "My package says delivered but there's nothing at my door. Call me on 415-555-0132.",
     "I'm sorry to hear that. I've opened an investigation with the courier and will call you on that number within 24 hours.", 4),
    ("shipping", "Do you ship to Norway?",
     "Yes, we ship to Norway. Delivery takes 5-8 working days and import VAT is collected by the courier.", 5),
    ("shipping", "The box arrived completely crushed and the mug inside is broken.",
     "That's awful, sorry! Could you send a photo of the box and the mug? We'll send a replacement right away.", 4),
    ("shipping", "can i change the delivery address, i moved last week",
     "If the order hasn't shipped yet, yes. I've updated the address on order #60127 to the one in your profile.", 5),
    ("shipping", "Why is shipping so expensive? 15 euros for a t-shirt is a joke.",
     "Shipping costs depend on the destination. Orders over 50 euros ship free, if that helps.", 2),
    ("shipping", "Tracking number doesn't work on the courier website.",
     "New tracking numbers can take up to 24 hours to activate. Please try again tomorrow and let me know if it still fails.", 3),
    ("shipping", "I ordered express but it took a week. I want the express fee back.",
     "You're right, the express promise wasn't met. I've refunded the 9.90 express fee to your original payment method.", 5),
    ("returns", "How do I return a jacket that doesn't fit?",
     "You can start a return from Orders > Return item. Print the label, drop the parcel at any post office, and we refund within 5 days of receiving it.", 5),
    ("returns", "I sent the return three weeks ago and still no refund. Ridiculous.",
     "I can see the return arrived on the 3rd but wasn't processed. That's our mistake. I've pushed the refund through today.", 2),
    ("returns", "Can I exchange the blue sweater for a green one instead of getting a refund?",
     "Sure! Start a return and choose 'Exchange' as the reason, then pick the green sweater. We ship it as soon as the blue one arrives.", 5),
    ("returns", "The return label you emailed is blank.",
     "Sorry about that. I've generated a new label and sent it to your email address. It should arrive in a few minutes.", 4),
    ("returns", "Is the return shipping free?",
     "Returns are free within 30 days for customers in the EU and UK. Elsewhere a 6 euro fee is deducted from the refund.", 3),
    ("returns", "i want my money back NOW. the product is garbage",
     "I'm sorry the product disappointed you. I've started a return; once we receive the item you'll get a full refund.", 1),
    ("returns", "You refused my return because the box was opened?? How am I supposed to try it without opening it?",
     "Our policy says items must be unused, not unopened. I've asked the warehouse to re-check your return.", 2),
    ("account", "I forgot my password and the reset email never arrives.",
     "Please check your spam folder. I've also sent a new reset link to the address on file, which expires in one hour.", 4),
    ("account", "Please delete my account and all my data.",
     "I've submitted the deletion request. Your account and personal data will be removed within 30 days, as required by GDPR.", 5),
    ("account", "How can I change the email on my account to jorge.mendez88@gmail.com?",
     "I've sent a confirmation link to the new address. Once you click it, the change takes effect.", 4),
    ("account", "someone logged into my account from another country!!",
     "I've logged out all sessions and locked the account. Please reset your password and turn on two-factor authentication.", 5),
    ("account", "Can two people share one account?",
     "Each account is for one person, but the Family plan lets up to five people have their own logins.", 3),
    ("account", "Why was my account suspended? I didn't do anything wrong.",
     "The account was flagged because of several chargebacks. I've asked the trust team to review it; they'll reply within two days.", 1),
    ("account", "I can't log in with Google anymore.",
     "Google sign-in was briefly broken after an update this morning. It's fixed now; please try again.", 4),
    ("technical", "The app crashes every time I open the camera screen on my Pixel 7.",
     "Thanks for the report. This is a known bug in version 4.2.1; version 4.2.2 with the fix is rolling out today.", 4),
    ("technical", "Your website is super slow today, pages take 30 seconds to load.",
     "We had a problem with one of our servers this morning. It's been fixed and pages should load normally again.", 3),
    ("technical", "The export to CSV button does nothing.",
     "Could you tell me which browser you use? The button is blocked by some ad blockers; try whitelisting our site.", 2),
    ("technical", "Sync between my laptop and phone stopped working yesterday.",
     "Please sign out and back in on both devices. If that doesn't help, send me the log from Settings > Help > Send log.", 3),
    ("technical", "Is there a dark mode?",
     "Yes! Go to Settings > Appearance and choose Dark. It follows your system setting by default.", 5),
    ("technical", "I keep getting error 503 when uploading files bigger than 100 MB.",
     "Files over 100 MB need the desktop app; the web uploader is limited to 100 MB. Sorry for the confusion.", 2),
    ("technical", "notifications don't show up on my iPhone",
     "Check Settings > Notifications > our app and make sure 'Allow notifications' is on. Also check Focus mode.", 4),
    ("technical", "Your latest update deleted all my saved drafts. Months of work gone. I am furious.",
     "I'm really sorry. Drafts are backed up for 60 days; I've restored them from last night's backup. Please check now.", 2),
    ("billing", "Can you send me a receipt for order 77410? My email is l.fischer@posteo.de",
     "Done, the receipt is on its way to that address.", 5),
    ("shipping", "Please call me back at +44 20 7946 0958 about my missing parcel.",
     "A colleague from the shipping team will call you on that number this afternoon.", 4),
    ("account", "My username shows the wrong name, it says Jon instead of John.",
     "You can edit your display name under Profile > Edit. Usernames themselves can be changed once a year.", 3),
    ("returns", "Do I need the original packaging to return something?",
     "No, any sturdy box will do, as long as the item itself is unused and has its tags.", 4),
    ("technical", "The search doesn't find products when I type lowercase letters.",
     "Thanks, we've reproduced this and passed it to the developers. Typing the first letter in capitals works as a workaround.", 2),
    ("billing", "You charged me in dollars but I live in Germany.",
     "Your account region was set to the US. I've changed it to Germany so future payments are in euros.", 4),
    ("shipping", "Can I pick up my order from the store instead?",
     "Yes, choose 'Click & Collect' at checkout and pick your nearest store. Orders are ready in 2 hours.", 5),
    ("account", "What happens to my data if I cancel my subscription?",
     "Your data stays available in read-only mode for 90 days, then it is deleted. You can export it at any time.", 4),
    ("technical", "Printing invoices from the app gives a blank page.",
     "This happens with the old PDF viewer. Please update the app, or download the invoice and print it from your PDF reader.", 3),
    ("returns", "I got the wrong size shoes in the parcel.",
     "Sorry for the mix-up! I've sent a prepaid return label and shipped the correct size today, no need to wait for the return.", 5),
]

SHORT = [("billing", "ok", "Glad I could help!", 5), ("technical", "thx", "You're welcome.", 5),
         ("shipping", "?", "Could you tell me a bit more about your question?", 3),
         ("account", "hello??", "Hi! How can I help you today?", 3), ("returns", "k bye", "Have a nice day!", 4)]

CHAT_OTHER_LANGUAGE = [
    ("shipping", "Bonjour, ma commande n'est toujours pas arrivée et le suivi ne bouge plus depuis une semaine.",
     "Sorry, I'll answer in English: your parcel is held at customs. I've sent them the invoice so it can be released.", 3),
    ("returns", "Hallo, ich möchte die Schuhe zurückschicken, sie sind leider zu klein.",
     "No problem! I've emailed you a free return label. The refund follows once the shoes arrive.", 4),
]


def _near(text: str) -> str:
    """A near duplicate: lower-cased start, an extra word and no final punctuation."""
    return (text[0].lower() + text[1:]).rstrip(".!?") + " thanks"


def make_chat(path: Path) -> Path:
    rows = CHAT[:24] + SHORT[:2] + CHAT[24:] + CHAT_OTHER_LANGUAGE + SHORT[2:]
    out: list[tuple[str, str, str, int]] = []
    for i, r in enumerate(rows):
        out.append(r)
        if i % 9 == 4:  # exact repeats of a whole turn
            out.append(r)
        if i % 17 == 10:  # the same customer message again, lightly edited, with the same reply
            out.append((r[0], _near(r[1]), r[2], r[3]))
    with open(path, "w") as f:
        for i, (topic, msg, reply, rating) in enumerate(out):
            f.write(json.dumps({"id": f"c{i:03d}", "customer_message": msg, "agent_reply": reply,
                                "rating": rating, "topic": topic}, ensure_ascii=False) + "\n")
    return path


# --- multilingual: short sentences, no language column ----------------------------------------------

MULTILINGUAL = [
    "The library will be closed on Monday for the public holiday and will reopen on Tuesday at nine.",
    "Preheat the oven to 180 degrees and bake the bread for about forty minutes, until the crust is golden.",
    "Our team meets every Thursday afternoon to review open bugs and plan the next release.",
    "If you lose your ticket, please contact the front desk and we will print a new one for you.",
    "The river flooded after three days of heavy rain, and several roads near the village were closed.",
    "She finished the marathon in just under four hours, which was her best time so far.",
    "Remember to water the tomatoes in the evening when the sun is lower and less water evaporates.",
    "The museum has a new exhibition about the history of printing, from woodblocks to laser printers.",
    "Please read the instructions carefully before you assemble the shelf, and keep the small screws away from children.",
    "Train services between the two cities will be reduced this weekend because of track maintenance.",
    "I think the second chapter of the book is much better than the first one.",
    "Customers can now pay with their phone at every checkout in our stores.",
    "The weather forecast says it will be sunny tomorrow, with a light wind from the west.",
    "He forgot his umbrella at the office again, so he walked home in the rain.",
    "La bibliothèque sera fermée lundi en raison du jour férié et rouvrira mardi à neuf heures.",
    "Préchauffez le four à 180 degrés et faites cuire le pain pendant environ quarante minutes.",
    "Nous avons passé nos vacances en Bretagne, et il a plu presque tous les jours.",
    "Le conseil municipal a voté la construction d'une nouvelle piste cyclable le long du canal.",
    "Pouvez-vous m'indiquer le chemin de la gare, s'il vous plaît ? Je crois que je suis perdu.",
    "Les élèves doivent rendre leur devoir de mathématiques avant vendredi midi.",
    "Ce restaurant propose un menu du jour à quinze euros, avec entrée, plat et dessert.",
    "La réunion de ce matin a été reportée à la semaine prochaine à cause de la grève des transports.",
    "Mon grand-père cultive des tomates, des courgettes et des haricots dans son jardin.",
    "Le musée est gratuit le premier dimanche de chaque mois pour tous les visiteurs.",
    "Il faut absolument que tu lises ce roman, je n'ai pas pu le lâcher de tout le week-end.",
    "Le train de 8 h 15 pour Lyon est annoncé avec vingt minutes de retard.",
    "Die Bibliothek bleibt am Montag wegen des Feiertags geschlossen und öffnet am Dienstag um neun Uhr wieder.",
    "Heizen Sie den Ofen auf 180 Grad vor und backen Sie das Brot etwa vierzig Minuten lang.",
    "Wegen Bauarbeiten fährt die Straßenbahn am Wochenende nur bis zum Hauptbahnhof.",
    "Meine Schwester hat letzte Woche ihre Doktorarbeit über Gletscher in den Alpen verteidigt.",
    "Bitte vergessen Sie nicht, Ihren Ausweis zur Prüfung mitzubringen.",
    "Der Verein sucht noch freiwillige Helfer für das Sommerfest im Juli.",
    "Im Herbst sammeln wir im Wald Pilze, aber nur die, die wir wirklich kennen.",
    "Die neue Software soll die Bearbeitung von Anträgen deutlich beschleunigen.",
    "Kannst du mir sagen, wann der nächste Bus nach Freiburg fährt?",
    "Das Konzert war ausverkauft, deshalb haben wir es uns im Fernsehen angeschaut.",
    "Nach dem langen Winter freuen sich alle auf die ersten warmen Frühlingstage.",
    "Unser Hund schläft am liebsten auf dem Sofa, obwohl er ein eigenes Körbchen hat.",
    "La biblioteca estará cerrada el lunes por el día festivo y volverá a abrir el martes a las nueve.",
    "Precalienta el horno a 180 grados y hornea el pan durante unos cuarenta minutos.",
    "Mañana por la mañana vamos a la playa si no llueve, ¿quieres venir con nosotros?",
    "El ayuntamiento ha anunciado que el mercado se trasladará a la plaza mayor en verano.",
    "Mi abuela prepara la mejor tortilla de patatas que he probado en mi vida.",
    "Los estudiantes presentaron sus proyectos de ciencias ante un jurado de profesores.",
    "El vuelo a Buenos Aires salió con dos horas de retraso por la niebla.",
    "Necesito comprar un regalo para el cumpleaños de mi hermano, pero no sé qué le gusta.",
    "La empresa contratará a cincuenta personas para la nueva fábrica de Zaragoza.",
    "Después de cenar dimos un paseo por el casco antiguo de la ciudad.",
    "Este libro explica de forma sencilla cómo funcionan las vacunas.",
    "No olvides apagar las luces y cerrar la puerta con llave cuando salgas.",
    "La biblioteca resterà chiusa lunedì per la festa e riaprirà martedì alle nove.",
    "Domani andiamo a fare una passeggiata in montagna, se il tempo lo permette.",
    "Il ristorante sotto casa fa la pizza più buona di tutto il quartiere.",
    "A biblioteca estará fechada na segunda-feira por causa do feriado e reabre na terça às nove.",
    "Ontem à noite fomos ao cinema e depois jantámos num restaurante perto do rio.",
    "O governo anunciou novas medidas para apoiar as pequenas empresas.",
    "De bibliotheek is maandag gesloten vanwege de feestdag en gaat dinsdag om negen uur weer open.",
    "We fietsen elke zondag langs de dijk naar het volgende dorp.",
    "Biblioteka będzie zamknięta w poniedziałek z powodu święta i zostanie otwarta we wtorek o dziewiątej.",
    "W weekend pojechaliśmy nad jezioro i cały dzień pływaliśmy kajakiem.",
    "Biblioteket är stängt på måndag på grund av helgdagen och öppnar igen på tisdag klockan nio.",
    "Kütüphane pazartesi günü resmi tatil nedeniyle kapalı olacak ve salı saat dokuzda yeniden açılacak.",
    "図書館は月曜日の祝日のため休館し、火曜日の九時に再開します。",
]


def make_multilingual(path: Path) -> Path:
    rows = MULTILINGUAL + [MULTILINGUAL[3], MULTILINGUAL[20]]  # two repeats
    with open(path, "w") as f:
        for i, text in enumerate(rows):
            f.write(json.dumps({"id": f"m{i:03d}", "text": text}, ensure_ascii=False) + "\n")
    return path


# --- reviews: product reviews with stars -------------------------------------------------------------

REVIEWS = [
    ("kettle", 5, "Boils a full litre in under three minutes and switches off reliably. The handle stays cool, which matters with kids around."),
    ("kettle", 2, "Looks nice but the lid started to stick after two weeks, and now I have to force it open every morning."),
    ("kettle", 4, "Quiet and fast. The limescale filter is a bit fiddly to clean, otherwise no complaints."),
    ("kettle", 1, "Leaked from the base on the first day. Sent it back."),
    ("kettle", 3, "Does the job. The water tastes of plastic for the first few boils, then it goes away."),
    ("kettle", 5, "Great!"),
    ("headphones", 5, "Noise cancelling is excellent on the train and the battery easily lasts a week of commuting."),
    ("headphones", 4, "Comfortable for long sessions, though the ear cushions get warm in summer. Sound is clear and balanced."),
    ("headphones", 2, "The left ear cup crackles at high volume. Customer service asked me to reset them, which didn't help."),
    ("headphones", 1, "Stopped charging after a month. Do not buy."),
    ("headphones", 3, "Good sound, weak microphone. People on calls say I sound far away."),
    ("headphones", 5, "Best headphones I have owned. Pairing with both my laptop and phone at the same time works perfectly."),
    ("headphones", 4, "Solid build. The app is unnecessary and asks for too many permissions, but you can ignore it."),
    ("backpack", 5, "Fits a 15 inch laptop, a lunch box and a jacket. The back panel is padded and the straps don't dig in."),
    ("backpack", 4, "Water resistant enough for a rainy bike ride. Wish the side pocket were deeper for a bottle."),
    ("backpack", 2, "Zip broke after three months of daily use. The fabric is fine, the hardware is cheap."),
    ("backpack", 3, "It's ok. Smaller than it looks in the photos."),
    ("backpack", 1, "Strap ripped off on the first trip. Terrible quality for this price."),
    ("backpack", 5, "Took it on a two-week trip through Portugal as my only bag. Everything fit and it still looks new."),
    ("desk lamp", 4, "Warm and cold light modes are both pleasant, and the dimmer goes low enough for reading at night."),
    ("desk lamp", 5, "Sturdy, bright, and the arm stays exactly where you put it."),
    ("desk lamp", 2, "Flickers at the lowest brightness, which gives me a headache."),
    ("desk lamp", 3, "Fine lamp but the USB port on the base only charges very slowly."),
    ("desk lamp", 1, "Arrived with a cracked shade. The replacement had the same problem."),
    ("coffee grinder", 5, "Consistent grind from espresso to French press. Much quieter than my old blade grinder."),
    ("coffee grinder", 4, "Very good grinder for the price. Static makes the grounds cling to the container a little."),
    ("coffee grinder", 2, "The burrs were misaligned out of the box and the coarse setting is not coarse at all."),
    ("coffee grinder", 1, "Motor burned out after six weeks. The smell was awful."),
    ("coffee grinder", 3, "Grinds well but it is hard to clean the chute."),
    ("coffee grinder", 5, "I grind beans every morning and it has not missed a beat in a year."),
    ("yoga mat", 5, "Thick enough for my knees, not slippery even in hot yoga. No chemical smell."),
    ("yoga mat", 4, "Good grip. The carrying strap is flimsy though."),
    ("yoga mat", 2, "Started to flake after a few weeks and leaves little bits everywhere."),
    ("yoga mat", 1, "Way too thin. You can feel the floor through it."),
    ("yoga mat", 3, "Average mat. Does what it says."),
    ("kettle", 5, "AMAZING!!! BEST KETTLE EVER!!! $$$ visit www.cheap-kettles-deals.biz for 70% OFF $$$ !!!"),
    ("headphones", 5, "!!!! $$$ #1 DEAL $$$ !!!! >>> click >>> bit.ly/xx12 <<< !!!! ***** *****"),
    ("backpack", 1, "bad bad bad bad bad bad bad bad bad bad bad bad bad bad bad"),
    ("desk lamp", 5, "good lamp good lamp good lamp good lamp good lamp good lamp good lamp"),
    ("coffee grinder", 4, "Contact me at grinderfan77@yahoo.com if you want to buy my old one, it still works."),
    ("yoga mat", 3, "Seller asked me to call 0151 496 0321 to get a refund instead of using the site. Odd."),
    ("kettle", 4, "Très bonne bouilloire, rapide et silencieuse. Je la recommande."),
    ("headphones", 2, "Der Klang ist gut, aber nach zwei Stunden tun mir die Ohren weh."),
    ("backpack", 5, "Muy buena mochila, cabe todo y es cómoda para ir en bici."),
    ("desk lamp", 4, "ok"),
    ("yoga mat", 5, "10/10"),
    ("coffee grinder", 1, "no"),
    ("headphones", 4, "The   noise\u00a0cancelling  is\u200b good ,  battery   lasts ages\u2026"),
    ("kettle", 3, "Ｆｉｎｅ  ｋｅｔｔｌｅ, ｎｏｔｈｉｎｇ ｓｐｅｃｉａｌ."),
]


def make_reviews(path: Path) -> Path:
    out: list[tuple[str, int, str]] = []
    for i, r in enumerate(REVIEWS):
        out.append(r)
        if i % 8 == 3:  # exact repeats (a review posted twice)
            out.append(r)
        if i in (6, 19, 24):  # near repeats: the same review with one sentence changed slightly
            out.append((r[0], r[1], r[2].replace(".", ". Really.", 1)))
    with open(path, "w") as f:
        for product, stars, review in out:
            f.write(json.dumps({"review": review, "stars": stars, "product": product}, ensure_ascii=False) + "\n")
    return path


# --- code: real Python functions from the standard library -------------------------------------------

def stdlib_functions(n: int, per_file: int = 3, max_lines: int = 40) -> list[tuple[str, str]]:
    """(relative path, source) of up to n public top-level functions of 4..max_lines lines."""
    out: list[tuple[str, str]] = []
    root = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.glob("*.py")):
        if path.name.startswith("_") or path.stat().st_size > 60_000:
            continue
        src = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        lines = src.splitlines()
        k = 0
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                if 4 <= node.end_lineno - start + 1 <= max_lines:
                    out.append((path.name, "\n".join(lines[start - 1:node.end_lineno])))
                    k += 1
                    if k >= per_file:
                        break
                    if len(out) >= n:
                        return out
        if len(out) >= n:
            return out
    return out


def make_code(path: Path, n: int = 90) -> Path:
    funcs = stdlib_functions(n)
    with open(path, "w") as f:
        for i, (rel, code) in enumerate(funcs):
            f.write(json.dumps({"code": code, "path": rel}) + "\n")
            if i % 15 == 7:  # a function vendored twice
                f.write(json.dumps({"code": code, "path": rel}) + "\n")
    return path


# --- pdf: a directory of small multi-page PDFs ----------------------------------------------------------

PDFS: dict[str, tuple[str, list[str]]] = {
    "garden_report.pdf": ("Community Garden Annual Report 2023", [
        "Community Garden Annual Report 2023",
        "Membership grew from 42 to 57 households this year. Twelve new plots were laid out along the "
        "east fence, and the waiting list is now down to four families. Members paid an annual fee of "
        "35 euros, and the fee stays the same for next year.",
        "The harvest was the best since the garden opened: about 900 kilograms of vegetables, mostly "
        "tomatoes, courgettes, beans and potatoes. A late frost in April damaged the early lettuce, and "
        "the apple trees had a poor year after the dry summer of 2022.",
        "This page is intentionally left blank.",
        "Questions about the report can go to the treasurer, Maria Jensen, at maria.jensen@gardenclub.org "
        "or by phone on 020 7946 0321. Office hours are Saturday mornings from nine to twelve in the "
        "tool shed next to the compost bays.",
    ]),
    "dishwasher_manual.pdf": ("Dishwasher X200 User Manual", [
        "Safety instructions. Read this manual before you use the dishwasher for the first time. Only "
        "connect the appliance to an earthed socket. Keep children away from the open door and never let "
        "them play with the detergent, which can burn the eyes and skin.",
        "Loading the dishwasher. Put plates and large items in the lower basket, facing the centre. Cups, "
        "glasses and small bowls go in the upper basket, upside down. Make sure nothing blocks the spray "
        "arms, or the dishes will not be cleaned properly.",
        "Programmes. Eco washes at 45 degrees and takes three hours, but uses the least water and energy. "
        "Intensive washes at 70 degrees for pans with burnt-on food. Quick washes at 40 degrees in thirty "
        "minutes for lightly soiled dishes that are used every day.",
        "Troubleshooting. If the dishwasher does not start, check that the door is closed and the tap is "
        "open. If the dishes are not dry, add rinse aid. If water stays in the bottom, clean the filter "
        "under the lower spray arm and run a programme again.",
    ]),
    "probability_notes.pdf": ("Introduction to Probability, Lecture 3", [
        "Lecture 3: Conditional probability. The probability of A given B is the probability of A and B "
        "divided by the probability of B, defined when B has positive probability. It describes how our "
        "belief in A changes once we learn that B happened.",
        "Bayes' theorem follows from writing the joint probability two ways. Example: a test detects a "
        "disease in 99 percent of sick people and gives a false alarm for 2 percent of healthy people. If "
        "one person in a thousand is sick, a positive test means only about a five percent chance of "
        "being sick.",
        "Exercises. 1. Two dice are thrown and the sum is eight; what is the probability that one die "
        "shows a three? 2. An urn holds three red and five blue balls; two are drawn without "
        "replacement; what is the probability that both are blue?",
    ]),
    "newsletter_fr.pdf": ("Lettre d'information du quartier", [
        "Lettre d'information du quartier, numéro 14. La fête des voisins aura lieu le samedi 8 juin dans "
        "la cour de l'école. Chacun apporte un plat à partager, et la mairie prête les tables et les "
        "chaises.",
        "Travaux. La rue des Lilas sera fermée à la circulation du 3 au 21 juin pour le remplacement des "
        "conduites d'eau. Les bus de la ligne 12 seront déviés par le boulevard Voltaire pendant toute la "
        "durée des travaux.",
    ]),
}


def write_pdf(path: Path, title: str, pages: list[str]) -> None:
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure  # not pyplot: no global backend switch, no figure manager

    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path, metadata={"Title": title}) as pdf:
        for text in pages:
            fig = Figure(figsize=(8.5, 11))
            fig.text(0.08, 0.92, "\n".join(textwrap.wrap(text, 80)), va="top", fontsize=10)
            pdf.savefig(fig)


def make_pdf(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, (title, pages) in PDFS.items():
        write_pdf(root / name, title, pages)
    return root


def fixture_columns(kind: str, path: str | Path) -> list[str]:
    """The columns a built fixture really has (pdf: the read_pdf columns, checked by reading one file)."""
    path = Path(path)
    if path.is_dir():
        from tilth.ops import build

        reader = build("read_pdf", {"path": str(path), "unit": "page"})
        for shard in reader.shards():
            for table in reader.read(shard):
                return [c for c in table.column_names if c != "_id"]
        return []
    with open(path) as f:
        return list(json.loads(f.readline()))


def make_all(root: Path) -> dict[str, str]:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    make_math_qa(root / "math.jsonl")
    return {"math": str(root / "math.jsonl"), "web": str(make_web(root / "web.jsonl")),
            "instruct": str(make_instruct(root / "instruct.jsonl")),
            "chat": str(make_chat(root / "chat.jsonl")),
            "multilingual": str(make_multilingual(root / "multilingual.jsonl")),
            "pdf": str(make_pdf(root / "pdf")),
            "code": str(make_code(root / "code.jsonl")),
            "reviews": str(make_reviews(root / "reviews.jsonl"))}
