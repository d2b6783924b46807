// Every text the portal shows, in one catalogue (French first).
export const messages = {
  tagline: 'Mon espace santé',
  title: 'Votre espace numérique de santé',
  intro:
    "Carnet rassemble vos documents de santé, votre profil médical, votre agenda de dépistages et de vaccinations, et une messagerie sécurisée avec les professionnels qui vous soignent.",
  statusTitle: 'État du service',
  statusChecking: 'Vérification en cours…',
  statusReady: 'Le service est disponible.',
  statusUnavailable: 'Le service est momentanément indisponible. Merci de réessayer dans quelques minutes.',
  footer: 'Aucun suivi publicitaire, aucune requête vers des tiers.',
} as const;

export type MessageKey = keyof typeof messages;

export function t(key: MessageKey): string {
  return messages[key];
}
