#include "notify/templates.h"

namespace carnet::notify {
namespace {

struct Template {
  const char* id;
  const char* subject;
  const char* text;  // {name} placeholders
};

constexpr Template kTemplates[] = {
    {"enrolment_notice", "Votre espace santé Carnet a été créé",
     "Bonjour {first_name},\n\n"
     "Votre espace numérique de santé Carnet a été créé. Il vous permettra de conserver vos documents "
     "de santé, de recevoir des rappels de vaccination et de dépistage, et d'échanger de façon sécurisée "
     "avec les professionnels qui vous soignent.\n\n"
     "Votre code provisoire : {code}\n\n"
     "Pour activer votre espace, rendez-vous sur le portail Carnet avec votre numéro de sécurité sociale, "
     "votre date de naissance et ce code.\n"
     "Si vous ne souhaitez pas de cet espace, vous pouvez vous y opposer jusqu'au {deadline} avec les mêmes "
     "informations, sur la page « Je m'oppose à la création de mon espace ». Sans opposition de votre part, "
     "votre espace sera ouvert à cette date.\n\n"
     "Ne communiquez jamais ce code à personne."},
    {"enrolment_notice_minor", "L'espace santé Carnet de votre enfant a été créé",
     "Bonjour,\n\n"
     "L'espace numérique de santé Carnet de {first_name} a été créé. En tant que représentant légal, vous "
     "pouvez l'activer sur le portail Carnet avec le numéro de sécurité sociale de l'enfant, sa date de "
     "naissance et ce code provisoire : {code}\n\n"
     "Vous pouvez vous opposer à sa création jusqu'au {deadline} avec les mêmes informations. Sans "
     "opposition, l'espace sera ouvert à cette date.\n\n"
     "Ne communiquez jamais ce code à personne."},
    {"majority_notice", "Votre espace santé Carnet est désormais le vôtre",
     "Bonjour {first_name},\n\n"
     "Vous avez 18 ans : votre espace numérique de santé Carnet, jusqu'ici géré par vos représentants "
     "légaux, est désormais le vôtre, et eux n'y ont plus accès.\n\n"
     "Pour l'activer, rendez-vous sur le portail Carnet avec votre numéro de sécurité sociale, votre date de "
     "naissance et ce code provisoire, valable jusqu'au {deadline} : {code}\n\n"
     "Ne communiquez jamais ce code à personne."},
    {"representative_invitation", "Vous êtes invité(e) à gérer l'espace santé Carnet de {first_name}",
     "Bonjour,\n\n"
     "Vous êtes l'un des représentants légaux de {first_name}. L'autre représentant vous invite à "
     "gérer son espace numérique de santé Carnet.\n\n"
     "Activez votre propre espace Carnet (ou connectez-vous si c'est déjà fait) : l'espace de {first_name} "
     "apparaîtra dans la liste de vos espaces."},
    {"new_code", "Votre nouveau code Carnet",
     "Bonjour {first_name},\n\n"
     "Comme vous l'avez demandé, voici votre nouveau code provisoire Carnet, valable jusqu'au {deadline} : "
     "{code}\n\n"
     "Il remplace le précédent. Ne le communiquez à personne."},
    {"new_code_minor", "Le nouveau code Carnet de votre enfant",
     "Bonjour,\n\n"
     "Voici le nouveau code provisoire de l'espace Carnet de {first_name}, valable jusqu'au {deadline} : "
     "{code}\n\nIl remplace le précédent. Ne le communiquez à personne."},
    {"professional_invitation", "Votre compte professionnel Carnet",
     "Bonjour,\n\n"
     "Vous êtes invité(e) à créer votre compte professionnel Carnet, lié à votre identifiant national "
     "(RPPS). Pour le créer, ouvrez le portail Carnet, choisissez « Je suis professionnel de santé » puis "
     "« J'ai reçu une invitation », et saisissez ce code d'invitation, valable 7 jours :\n\n{invitation}\n\n"
     "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message."},
    {"password_reset", "Changer votre mot de passe Carnet",
     "Bonjour,\n\n"
     "Vous avez demandé à changer le mot de passe de votre compte Carnet. Votre code : {code}\n\n"
     "Il est valable {minutes} minutes. Saisissez-le sur la page « Mot de passe oublié » avec votre nouveau "
     "mot de passe. Votre second facteur vous sera demandé à la connexion suivante.\n\n"
     "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe ne change pas."},
    {"password_changed", "Votre mot de passe Carnet a été changé",
     "Bonjour,\n\n"
     "Le mot de passe de votre compte Carnet a été changé le {date}. Vos autres sessions ont été fermées.\n\n"
     "Si vous n'êtes pas à l'origine de ce changement, utilisez « Mot de passe oublié » sur le portail "
     "pour en choisir un nouveau, puis contactez votre caisse d'assurance maladie."},
    {"second_factor_changed", "Votre second facteur Carnet a été changé",
     "Bonjour,\n\n"
     "Le second facteur de connexion de votre compte Carnet a été changé le {date}. Vos anciens codes de "
     "secours ne fonctionnent plus et vos autres sessions ont été fermées.\n\n"
     "Si vous n'êtes pas à l'origine de ce changement, contactez sans attendre votre caisse d'assurance "
     "maladie pour faire bloquer votre compte."},
    {"recovery_codes_renewed", "Vos nouveaux codes de secours Carnet",
     "Bonjour,\n\n"
     "De nouveaux codes de secours ont été créés pour votre compte Carnet le {date}. Les anciens ne "
     "fonctionnent plus.\n\n"
     "Si vous n'êtes pas à l'origine de cette demande, changez votre mot de passe depuis le portail et "
     "contactez votre caisse d'assurance maladie."},
    {"one_time_code", "Votre code Carnet",
     "Votre code Carnet : {code}\n"
     "Il expire dans 10 minutes. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message "
     "et ne communiquez ce code à personne."},
    {"care_team_declared", "Un professionnel de santé a rejoint votre équipe de soins",
     "Bonjour {first_name},\n\n"
     "{professional} a déclaré le {date} faire partie de votre équipe de soins. Il peut désormais "
     "consulter les documents de votre espace santé que sa profession permet de voir.\n\n"
     "Si vous ne le connaissez pas ou ne le souhaitez pas, vous pouvez le retirer de votre équipe "
     "de soins ou le bloquer depuis votre espace Carnet, rubrique « Qui accède à mon espace »."},
    {"professional_first_access", "Un nouveau professionnel a consulté votre espace santé",
     "Bonjour {first_name},\n\n"
     "{professional} a consulté votre espace santé pour la première fois le {date}.\n\n"
     "Vous pouvez voir qui accède à votre espace, retirer ou bloquer un professionnel depuis votre "
     "espace Carnet, rubrique « Qui accède à mon espace »."},
    {"document_added", "Un nouveau document dans votre espace santé",
     "Bonjour {first_name},\n\n"
     "{author} a ajouté un document à votre espace santé le {date}. Vous pouvez le consulter, et le "
     "masquer si vous le souhaitez, depuis votre espace Carnet."},
    {"document_awaiting", "Un document vous attend dans votre espace santé",
     "Bonjour {first_name},\n\n"
     "Un professionnel de santé a déposé dans votre espace santé un résultat qu'il souhaite vous "
     "remettre lui-même lors d'une consultation. Si ce n'est pas déjà fait, prenez rendez-vous avec "
     "lui. Ce document deviendra visible dans votre espace le {date}."},
    {"document_released", "Un document est maintenant visible dans votre espace santé",
     "Bonjour {first_name},\n\n"
     "Un document déposé par un professionnel de santé, qui devait vous être remis lors d'une "
     "consultation, est maintenant visible dans votre espace santé Carnet. N'hésitez pas à en "
     "parler avec le professionnel qui vous suit."},
    {"emergency_access", "Accès en urgence à votre espace santé",
     "Bonjour {first_name},\n\n"
     "{professional} a accédé en urgence à votre espace santé le {date}. Cet accès est limité dans le "
     "temps et enregistré avec le motif déclaré, que vous pouvez consulter dans votre espace Carnet, "
     "rubrique « Qui accède à mon espace ». Vous pouvez y interdire les accès en urgence."},
    {"opposition_confirmed", "Votre opposition a bien été enregistrée",
     "Bonjour {first_name},\n\n"
     "Votre opposition à la création de votre espace santé Carnet a bien été enregistrée le {date}. "
     "Votre espace a été supprimé et aucun nouvel espace ne sera créé pour vous.\n\n"
     "Si vous changez d'avis, vous pourrez demander la création de votre espace auprès de votre "
     "caisse d'assurance maladie."},
};

}  // namespace

namespace {

Result<std::string> substitute(std::string_view text, const std::map<std::string, std::string>& params,
                               const std::string& template_id) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find('{', pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    size_t close = text.find('}', open);
    out.append(text.substr(pos, open - pos));
    std::string name(text.substr(open + 1, close - open - 1));
    auto it = params.find(name);
    if (it == params.end()) return Status::invalid("notice template " + template_id + " needs parameter " + name);
    out += it->second;
    pos = close + 1;
  }
  return out;
}

}  // namespace

Result<Rendered> render(const std::string& template_id, const std::map<std::string, std::string>& params) {
  for (const auto& t : kTemplates) {
    if (template_id != t.id) continue;
    auto subject = substitute(t.subject, params, template_id);
    if (!subject.is_ok()) return subject.status();
    auto text = substitute(t.text, params, template_id);
    if (!text.is_ok()) return text.status();
    return Rendered{*subject, *text};
  }
  return Status::not_found("no notice template " + template_id);
}

}  // namespace carnet::notify
