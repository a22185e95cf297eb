/**
 * The demo merchant page: picks the offer, the subscriber and the language from the query string
 * (?offer=…&subscriber=…&lang=en) or the settings form, and hands them to <palier-assist>. In a
 * real site the merchant's server decides who the subscriber is; here it is typed in.
 */
const WORDS = {
  fr: {
    tagline: "Boutique de démonstration : de l'aide payée à la minute, avec le widget Palier.",
    title: 'Un conseiller en ligne, quand vous en avez besoin',
    intro: "Cette page joue le rôle du site d'un marchand. Le bouton d'assistance ci-dessous est le widget Palier : il n'apparaît que si votre ligne peut payer ce service, affiche le tarif complet avant tout, et vous laisse quitter à tout moment.",
    settings: 'Réglages de la démo', offer: 'Offre', subscriber: 'Abonné (identifiant)', language: 'Langue', apply: 'Appliquer',
    consoleHint: "Pour jouer le conseiller, ouvrez la console dans un autre onglet : l'adresse, avec la clé du marchand après #key=, est affichée par npm start.",
    consoleLink: 'Ouvrir la console conseiller',
    noSubscriber: 'Indiquez un abonné de démonstration (ses identifiants sont dans data/demo-credentials.json) pour voir le bouton.',
    ineligible: (reason) => `Le bouton reste caché : cet abonné n'est pas éligible (${reason}).`,
  },
  en: {
    tagline: 'A demo shop: help paid by the minute, with the Palier widget.',
    title: 'An advisor online, whenever you need one',
    intro: "This page plays a merchant's web site. The assistance button below is the Palier widget: it shows only if your line can pay for this service, shows the full price before anything, and lets you leave at any moment.",
    settings: 'Demo settings', offer: 'Offer', subscriber: 'Subscriber (id)', language: 'Language', apply: 'Apply',
    consoleHint: "To play the advisor, open the console in another tab: its address, with the merchant's key after #key=, is printed by npm start.",
    consoleLink: 'Open the advisor console',
    noSubscriber: 'Enter a demo subscriber (their ids are in data/demo-credentials.json) to see the button.',
    ineligible: (reason) => `The button stays hidden: this subscriber is not eligible (${reason}).`,
  },
};

const params = new URLSearchParams(location.search);
const lang = params.get('lang') === 'en' ? 'en' : 'fr';
const words = WORDS[lang];
document.documentElement.lang = lang;
for (const element of document.querySelectorAll('[data-i18n]')) {
  const text = words[element.dataset.i18n];
  if (typeof text === 'string') element.textContent = text;
}

const assist = document.getElementById('assist');
const note = document.getElementById('eligibility-note');
const form = document.getElementById('settings');
const offerSelect = document.getElementById('offer');
const subscriberInput = document.getElementById('subscriber');
const langSelect = document.getElementById('lang');
langSelect.value = lang;
subscriberInput.value = params.get('subscriber') ?? '';

function showNote(text) {
  note.textContent = text;
  note.hidden = text === '';
}

assist.addEventListener('palier-eligibility', (event) => {
  showNote(event.detail.eligible ? '' : words.ineligible(event.detail.reason ?? '?'));
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const next = new URLSearchParams();
  next.set('offer', offerSelect.value);
  if (subscriberInput.value.trim() !== '') next.set('subscriber', subscriberInput.value.trim());
  if (langSelect.value === 'en') next.set('lang', 'en');
  location.search = next.toString();
});

const response = await fetch('/demo/api/offers', { headers: { accept: 'application/json' } });
const offers = response.ok ? (await response.json()).items : [];
for (const offer of offers) {
  const option = document.createElement('option');
  option.value = offer.id;
  option.textContent = `${offer.name} — ${offer.merchantName}`;
  offerSelect.append(option);
}
const wanted = params.get('offer');
const chosen = offers.find((offer) => offer.id === wanted) ?? offers.find((offer) => offer.id === 'off_windows_help') ?? offers[0];
if (chosen !== undefined) {
  offerSelect.value = chosen.id;
  document.getElementById('merchant-name').textContent = chosen.merchantName;
}

assist.setAttribute('locale', lang === 'en' ? 'en' : 'fr-FR');
if (chosen !== undefined) assist.setAttribute('offer', chosen.id);
if (subscriberInput.value !== '') assist.setAttribute('subscriber', subscriberInput.value);
else showNote(words.noSubscriber);
