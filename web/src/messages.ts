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
  opposeLink: "Je m'oppose à la création de mon espace",
  footer: 'Aucun suivi publicitaire, aucune requête vers des tiers.',

  opposeTitle: "Je m'oppose à la création de mon espace santé",
  opposeIntro:
    "Votre espace a été créé automatiquement. Si vous n'en voulez pas, vous pouvez vous y opposer pendant six semaines après le courrier ou le message reçu. Votre espace et les informations qu'il contient seront alors définitivement supprimés.",
  nirLabel: 'Numéro de sécurité sociale (15 caractères)',
  nirHint: 'Exemple : 1 84 05 75 123 456 25',
  birthDateLabel: 'Date de naissance',
  codeLabel: 'Code provisoire reçu dans le message',
  codeHint: 'Exemple : ABCD-EFGH-JKMN',
  opposeSubmit: "Je m'oppose",
  opposeConfirm: 'Confirmez-vous votre opposition ? Elle est définitive.',
  opposeDone: 'Votre opposition est enregistrée. Votre espace a été supprimé ; un message de confirmation vous a été envoyé.',
  errorNoMatch: 'Le numéro de sécurité sociale, la date de naissance et le code ne correspondent pas.',
  errorLocked: 'Trop de tentatives : ce code est bloqué. Demandez un nouveau code à votre caisse d’assurance maladie.',
  errorTooLate: "La période d'opposition est terminée. Vous pouvez fermer votre espace après vous y être connecté.",
  errorInvalid: 'Vérifiez les informations saisies : ',
  errorServer: 'Le service est momentanément indisponible. Merci de réessayer plus tard.',
  backHome: "Retour à l'accueil",
} as const;

export type MessageKey = keyof typeof messages;

export function t(key: MessageKey): string {
  return messages[key];
}
